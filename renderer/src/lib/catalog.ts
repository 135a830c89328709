// The engine's extension-point tables (families, tasks, export formats, datasets) from the API's catalog(),
// loaded once before the app mounts (main.ts), so screens draw the engine's own rows instead of copies.
import type { Catalog } from '../../../core/api/contract';
import { api } from './api';

const EMPTY: Catalog = { families: [], tasks: [], exportFormats: [], datasets: [] };
let loaded: Catalog = EMPTY;

/** Ask the core once; a core without the method (or an unreachable one) leaves the lists empty, which the screens show as such. */
export async function loadCatalog(): Promise<void> {
  loaded = await api.catalog().catch(() => EMPTY);
}

export const catalog = (): Catalog => loaded;
