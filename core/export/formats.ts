// The export formats table: one row per format — what the Export panel shows (runtimes, dtypes, limits), the
// dtypes the engine takes, how it is written and how it is verified. The CLI, the export job's validator,
// the API's catalog and exportModel/verifyExport all read this table. Writers and verifiers are imported
// when called: the job registry reads the ids without loading onnxruntime or llama.cpp.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { JobContext } from '../base/job-context';
import { ExportError } from './errors';
import { ONNX_MODEL, readManifest } from './model-files';
import type { VerifyOptions, VerifyResult } from './verify-onnx';
import type { ExportDtype, ExportResult, WriteOptions } from './export-types';

export { DTYPES, type ExportDtype, type ExportResult, type WriteOptions } from './export-types';

/** What the renderer and the CLI show of a format (the catalog's rows). */
export interface ExportFormatInfo {
  id: string;
  label: string;
  /** Runtimes that load it, in a few words (the compatibility matrix). */
  runtimes: string;
  /** Dtypes it takes, the default first. */
  dtypes: readonly ExportDtype[];
  /** Which slices it can hold. */
  slices: string;
  limits: string;
  /** A folder, or one file (named `.gguf`…). */
  output: { kind: 'folder' } | { kind: 'file'; extension: string };
}

export interface ExportFormatModule extends ExportFormatInfo {
  /** Dtypes the engine also writes on request (CLI, API) but the app does not offer. */
  alsoAccepts?: readonly ExportDtype[];
  /** Recorded with the artifact: which runtime loads it. */
  runtime: string;
  write(ctx: JobContext, o: WriteOptions, runtime: string): Promise<ExportResult>;
  /** Whether `path` is an export of this format (verifyExport asks each row in turn). */
  holds(path: string, isDir: boolean): boolean;
  verify(path: string, o: VerifyOptions, ctx: JobContext): Promise<VerifyResult>;
}

/** The dtypes ONNX and safetensors take (exportModel has refused the others with the row's own message). */
function floatDtype(d: ExportDtype | undefined): 'f32' | 'f16' | undefined {
  if (d === undefined || d === 'f32' || d === 'f16') return d;
  throw new ExportError(`--dtype ${d} is a GGUF type`);
}

interface FolderExport {
  out: string;
  dtype: string;
  bytes: number;
  files: { name: string; bytes: number }[];
  seconds: number;
}
type FolderWriter = (ctx: JobContext, o: { model: string; out: string; dtype?: 'f32' | 'f16'; overwrite?: boolean }) => Promise<FolderExport>;

/** The writer of a float folder format (ONNX, safetensors), loaded when called; its own result is the details. */
function folderWriter(format: string, load: () => Promise<FolderWriter>): ExportFormatModule['write'] {
  return async (ctx, o, runtime) => {
    const r = await (await load())(ctx, { model: o.model, out: o.out, dtype: floatDtype(o.dtype), overwrite: o.overwrite });
    return { format, path: r.out, dtype: r.dtype, bytes: r.bytes, files: r.files, seconds: r.seconds, runtime, details: r };
  };
}

const FLOAT_DTYPES = ['f32', 'f16'] as const;
const EVERY_SLICE = 'per-layer and uniform rotation, dense';

export const EXPORT_FORMATS = [
  {
    id: 'onnx',
    label: 'ONNX',
    runtimes: 'onnxruntime, onnxruntime-genai, Optimum-style loaders',
    runtime: 'onnxruntime (plain InferenceSession, onnxruntime-genai, Optimum-style loaders)',
    dtypes: FLOAT_DTYPES,
    slices: EVERY_SLICE,
    limits: 'one decoder graph with KV cache; weights as external data',
    output: { kind: 'folder' },
    write: folderWriter('onnx', async () => (await import('./onnx')).exportOnnx),
    holds: (path, isDir) => (isDir ? existsSync(join(path, ONNX_MODEL)) : path.endsWith('.onnx')),
    async verify(path, o, ctx) {
      const folder = statSync(path).isDirectory() ? path : dirname(path);
      if (folder !== path && !path.endsWith(ONNX_MODEL)) throw new ExportError(`expected an export folder with ${ONNX_MODEL}, got ${path}`);
      const { verifyOnnx } = await import('./verify-onnx');
      return { ...(await verifyOnnx(folder, o, ctx)), dtype: readManifest(folder)?.dtype ?? null };
    },
  },
  {
    id: 'gguf',
    label: 'GGUF',
    runtimes: 'llama.cpp, Ollama, LM Studio',
    runtime: 'llama.cpp (Ollama, LM Studio, node-llama-cpp)',
    dtypes: ['f16', 'q8_0', 'q6_k', 'q5_k_m', 'q5_k', 'q4_k_m', 'q4_k', 'q4_0'],
    // f32 GGUF is written on request (CLI, API); the app offers the types llama.cpp users load.
    alsoAccepts: ['f32'],
    slices: 'uniform rotation only (no shortcut matrices), dense',
    limits: 'llama, mistral, qwen2, qwen3, phi3 families (qwen2/phi3 slices written as llama); D′ a multiple of 32 for Q8_0 / Q4_0; K-quants want rows in multiples of 256 (others fall back as llama.cpp does)',
    output: { kind: 'file', extension: '.gguf' },
    async write(ctx, o, runtime) {
      const { exportGgufFile } = await import('./gguf-file');
      return exportGgufFile(ctx, o, runtime);
    },
    holds: (path, isDir) => !isDir && path.toLowerCase().endsWith('.gguf'),
    async verify(path, o, ctx) {
      const { verifyGgufExport } = await import('./gguf-file');
      return verifyGgufExport(path, o, ctx);
    },
  },
  {
    id: 'safetensors',
    label: 'safetensors',
    runtimes: 'Slice Studio, TransformerCompression',
    runtime: 'Slice Studio, microsoft/TransformerCompression',
    dtypes: FLOAT_DTYPES,
    slices: EVERY_SLICE,
    limits: 'folder with slicing_config.json and a README',
    output: { kind: 'folder' },
    write: folderWriter('safetensors', async () => (await import('./safetensors')).exportSafetensors),
    holds: (path, isDir) => isDir && existsSync(join(path, 'slicing_config.json')),
    async verify(path) {
      throw new ExportError(`${path} is a safetensors (sliced model) folder: Slice Studio runs it directly (slice-studio ppl ${path}); verify-export checks ONNX folders and .gguf files`);
    },
  },
  {
    id: 'hf',
    label: 'Hugging Face folder',
    runtimes: 'transformers, vLLM, MLX, llama.cpp convert_hf_to_gguf.py',
    runtime: 'transformers (AutoModelForCausalLM), vLLM, MLX, llama.cpp convert_hf_to_gguf.py',
    dtypes: FLOAT_DTYPES,
    slices: 'uniform rotation only (a plain dense model of width d)',
    limits: "RMSNorm families (llama, mistral, qwen2, phi3); config.json with hidden_size = d and head_dim; the family's own tensor names",
    output: { kind: 'folder' },
    write: folderWriter('hf', async () => (await import('./hf-folder')).exportHfFolder),
    holds: (path, isDir) => isDir && readManifest(path)?.format === 'hf',
    async verify(path) {
      throw new ExportError(`${path} is a Hugging Face folder: Slice Studio runs it as a dense model (slice-studio ppl ${path}); verify-export checks ONNX folders and .gguf files`);
    },
  },
] as const satisfies readonly ExportFormatModule[];

export type ExportFormat = (typeof EXPORT_FORMATS)[number]['id'];
export const FORMATS: readonly ExportFormat[] = EXPORT_FORMATS.map((f) => f.id);

/** The row of a format id, or undefined (callers turn that into their own one-line error). */
export const exportFormat = (id: string): ExportFormatModule | undefined => (EXPORT_FORMATS as readonly ExportFormatModule[]).find((f) => f.id === id);

/** The default output name: `<model>-<format>[-<dtype>]`, with the format's extension where it is one file. */
export function exportName(model: string, format: string, dtype?: string): string {
  const f = exportFormat(format);
  return `${basename(resolve(model))}-${format}${dtype ? `-${dtype}` : ''}${f?.output.kind === 'file' ? f.output.extension : ''}`;
}

/** The catalog's view of the table: everything but the functions. */
export function exportFormatInfo(): ExportFormatInfo[] {
  return EXPORT_FORMATS.map(({ id, label, runtimes, dtypes, slices, limits, output }) => ({ id, label, runtimes, dtypes, slices, limits, output }));
}
