// The files that travel with every export: the model's config.json (byte for byte: a sliced model keeps
// the original hidden_size, its norms divide by it), tokenizer files, generation settings, and for a
// sliced model its slicing_config.json. Plus a small manifest naming the source, which verify-export
// uses as the default model to compare against.
import { copyWritable } from '../files/copy-writable';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const COPIED = /^(config\.json|tokenizer.*|special_tokens_map\.json|generation_config\.json|added_tokens\.json|vocab\.json|merges\.txt|.*\.model|slicing_config\.json)$/;

export const MANIFEST = 'slice_studio_export.json';
/** The decoder graph of an ONNX export folder. */
export const ONNX_MODEL = 'model.onnx';

export interface ExportManifest {
  format: 'onnx' | 'safetensors' | 'hf';
  dtype: string;
  /** Absolute path of the folder exported. */
  source: string;
  sliced: boolean;
  createdAt: string;
  producer: string;
}

export function copyModelFiles(source: string, dest: string): string[] {
  const copied: string[] = [];
  for (const f of readdirSync(source).sort()) {
    if (!COPIED.test(f)) continue;
    copyWritable(join(source, f), join(dest, f));
    copied.push(f);
  }
  return copied;
}

export function writeManifest(dest: string, m: Omit<ExportManifest, 'createdAt' | 'producer' | 'source'> & { source: string }): void {
  const full: ExportManifest = { ...m, source: resolve(m.source), createdAt: new Date().toISOString(), producer: 'Slice Studio' };
  writeFileSync(join(dest, MANIFEST), JSON.stringify(full, null, 2));
}

export function readManifest(folder: string): ExportManifest | null {
  const p = join(folder, MANIFEST);
  if (!existsSync(p)) return null;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as ExportManifest;
  } catch {
    return null;
  }
}
