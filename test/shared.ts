// The shared read-only assets (tiny models, WikiText-2 and the other data, published configs): `../shared` next
// to the checkout, or wherever SLICE_STUDIO_SHARED points. Every test and benchmark finds them here, never at
// one machine's absolute path (test/no-machine-paths.test.ts holds that).
import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '..');
export const SHARED = resolve(process.env.SLICE_STUDIO_SHARED || join(REPO_ROOT, '..', 'shared'));
export const SHARED_MODELS = join(SHARED, 'models');
export const SHARED_DATA = join(SHARED, 'data');

/** A shared model folder: tiny-llama, tiny-opt, tiny-phi, tiny-stories. */
export const sharedModel = (name: string): string => join(SHARED_MODELS, name);
/** A file or folder under shared/data (wikitext-2-raw/…, configs/…, tokenizers/…). */
export const sharedData = (...parts: string[]): string => join(SHARED_DATA, ...parts);
