// `exportModel`: one entry point for every export format. ONNX and safetensors are written here; GGUF
// (llama.cpp / Ollama / LM Studio) by core/export/gguf. Every export is atomic (temp + rename) after a
// free-disk check, and returns what the store records as the run's artifact.
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { notAModel } from '../model/not-a-model';
import type { JobContext } from '../base/job-context';
import { ExportError } from './errors';
import { exportGguf, type GgufExportResult } from './gguf/index';
import { isGgufFile } from './gguf/replaceable';
import { exportOnnx, type OnnxExportResult } from './onnx';
import { exportSafetensors, type SafetensorsExportResult } from './safetensors';

export const FORMATS = ['onnx', 'gguf', 'safetensors'] as const;
export type ExportFormat = (typeof FORMATS)[number];
export const DTYPES = ['f32', 'f16', 'q8_0', 'q4_0'] as const;
export type ExportDtype = (typeof DTYPES)[number];

/** Which runtime loads each format (recorded with the artifact; shown in the compatibility matrix). */
export const RUNTIMES: Record<ExportFormat, string> = {
  onnx: 'onnxruntime (plain InferenceSession, onnxruntime-genai, Optimum-style loaders)',
  gguf: 'llama.cpp (Ollama, LM Studio, node-llama-cpp)',
  safetensors: 'Slice Studio, microsoft/TransformerCompression',
};

export interface ExportOptions {
  /** Dense Hugging Face folder or sliced model folder. */
  model: string;
  format: ExportFormat;
  dtype?: ExportDtype;
  /** A folder (onnx, safetensors) or a .gguf file. */
  out: string;
  /** Replace an existing --out. */
  overwrite?: boolean;
}

export interface ExportResult {
  format: ExportFormat;
  /** Absolute path of what was written (folder or file). */
  path: string;
  dtype: string;
  bytes: number;
  files: { name: string; bytes: number }[];
  seconds: number;
  runtime: string;
  /** The format's own result, for details (per-file sizes, GGUF metadata…). */
  details: unknown;
}

const sizeOf = (p: string) => (statSync(p).isFile() ? statSync(p).size : 0);

export async function exportModel(ctx: JobContext, o: ExportOptions): Promise<ExportResult> {
  if (!(FORMATS as readonly string[]).includes(o.format)) throw new ExportError(`unknown export format "${o.format}" (formats: ${FORMATS.join(', ')})`);
  if (o.dtype !== undefined && !(DTYPES as readonly string[]).includes(o.dtype)) throw new ExportError(`unknown --dtype "${o.dtype}" (dtypes: ${DTYPES.join(', ')})`);
  if (!o.model) throw new ExportError('export needs a model folder');
  if (!existsSync(join(o.model, 'config.json'))) throw new ExportError(notAModel(o.model));
  if (!o.out) throw new ExportError('--out is required');
  const runtime = RUNTIMES[o.format];
  if (o.format === 'onnx') {
    if (o.dtype === 'q8_0' || o.dtype === 'q4_0') throw new ExportError(`--dtype ${o.dtype} is a GGUF type; ONNX exports are f32 or f16`);
    const r: OnnxExportResult = await exportOnnx(ctx, { model: o.model, out: o.out, dtype: o.dtype, overwrite: o.overwrite });
    return { format: 'onnx', path: r.out, dtype: r.dtype, bytes: r.bytes, files: r.files, seconds: r.seconds, runtime, details: r };
  }
  if (o.format === 'safetensors') {
    if (o.dtype === 'q8_0' || o.dtype === 'q4_0') throw new ExportError(`--dtype ${o.dtype} is a GGUF type; safetensors exports are f32 or f16`);
    const r: SafetensorsExportResult = await exportSafetensors(ctx, { model: o.model, out: o.out, dtype: o.dtype, overwrite: o.overwrite });
    return { format: 'safetensors', path: r.out, dtype: r.dtype, bytes: r.bytes, files: r.files, seconds: r.seconds, runtime, details: r };
  }
  if (o.dtype !== undefined && o.dtype !== 'f16' && o.dtype !== 'q8_0' && o.dtype !== 'q4_0' && o.dtype !== 'f32')
    throw new ExportError(`--dtype ${o.dtype} is not a GGUF type`);
  if (existsSync(o.out) && statSync(o.out).isFile()) {
    if (!o.overwrite) throw new ExportError(`${o.out} exists; pass --force to replace it`);
    // --force replaces a GGUF file, never some other file that happens to sit at --out.
    if (!isGgufFile(o.out)) throw new ExportError(`${o.out} is not a GGUF file: it is never replaced; choose another --out`);
  }
  const r: GgufExportResult = await exportGguf(ctx, { model: o.model, out: o.out, dtype: o.dtype ?? 'f16' });
  const files = [{ name: basename(r.file), bytes: r.bytes }];
  if (existsSync(r.modelfile)) files.push({ name: basename(r.modelfile), bytes: sizeOf(r.modelfile) });
  return { format: 'gguf', path: resolve(r.file), dtype: r.dtype, bytes: r.bytes, files, seconds: r.seconds, runtime, details: r };
}

export { ExportError, VerifyError } from './errors';
export { verifyExport } from './verify';
