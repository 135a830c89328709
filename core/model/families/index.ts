// The families table: one row per model family Slice Studio can slice. Adding a family is a module next to
// this file (types.ts says what it holds), its row here, and its fixture (docs/ARCHITECTURE.md, "Adding things").
import { ConfigError } from '../config-fields';
import type { ModelConfig } from '../config-shape';
import type { FamilyModule } from './types';
import { llamaFamily, mistralFamily, qwen2Family } from './llama';
import { optFamily } from './opt';
import { phiFamily } from './phi';
import { phi3Family } from './phi3';
import { qwen3Family } from './qwen3';

export type { FamilyModule, FamilyShape } from './types';
export type { Adapter, AdapterSpec, LinearNames, NormNames } from './names';

export const FAMILIES: readonly FamilyModule[] = [llamaFamily, mistralFamily, qwen2Family, optFamily, phiFamily, phi3Family, qwen3Family];

/** The family's module; an id no row has is an error, never a fallback to another family's names. */
export function family(id: string): FamilyModule {
  const f = FAMILIES.find((x) => x.id === id);
  if (!f) throw new ConfigError(`unknown model family ${JSON.stringify(id.slice(0, 40))}: Slice Studio supports ${FAMILIES.map((x) => x.id).join(', ')}`);
  return f;
}

/** Embedding tables a model keeps (tokens, and positions where learned), as slicing_config.json counts them. */
export const embeddingTables = (c: ModelConfig): number => (family(c.family).adapter(c).positions ? 2 : 1);
