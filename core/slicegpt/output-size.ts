// Sizes before and after slicing. A slice exists to be smaller than its model, yet the shortcut matrices
// (d_in×d_out per block, two per layer) make small ratios of per-layer slicing larger: they cost
// 2·(1−r)²·D² per layer against the r·(4D² + 3·D·F) a ratio r deletes, so below roughly 10–15 % a slice
// grows (uniform rotation has no shortcuts and shrinks at every ratio). A tied embedding/head no longer
// adds to that: it is stored once (core/slicegpt/tied.ts). The slice job predicts the size from the exact
// shapes (core/plan/params) and the weights' stored dtype before any work, in the calling thread (headers only).
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type ModelConfig } from '../model/config';
import { slicedParams, type SliceShapeOptions } from '../plan/params';
import type { OutputDtype } from './output';

export const OUTPUT_BYTES: Record<OutputDtype, number> = { float32: 4, float16: 2, bfloat16: 2 };
const ELEMENT_BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

export interface StoredTensor {
  dtype: string;
  bytes: number;
}

function headerOf(file: string): StoredTensor[] {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    const hb = Buffer.alloc(n);
    readSync(fd, hb, 0, n, 8);
    const header = JSON.parse(hb.toString('utf8')) as Record<string, { dtype: string; data_offsets: [number, number] }>;
    return Object.entries(header)
      .filter(([k]) => k !== '__metadata__')
      .map(([, v]) => ({ dtype: v.dtype, bytes: v.data_offsets[1] - v.data_offsets[0] }));
  } finally {
    closeSync(fd);
  }
}

/** Every tensor of a model folder (one file or shards), from the headers alone; [] when none can be read. */
export function storedTensors(folder: string): StoredTensor[] {
  try {
    const index = join(folder, 'model.safetensors.index.json');
    if (existsSync(index)) {
      const map = (JSON.parse(readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map;
      return [...new Set(Object.values(map))].flatMap((f) => headerOf(join(folder, f)));
    }
    return headerOf(join(folder, 'model.safetensors'));
  } catch {
    return [];
  }
}

/** The dtype most of a folder's float weights are stored in (by bytes): what its slice is written in. */
export function dominantDtype(tensors: StoredTensor[]): OutputDtype {
  const bytes: Record<OutputDtype, number> = { float32: 0, float16: 0, bfloat16: 0 };
  for (const t of tensors) {
    if (t.dtype === 'F16') bytes.float16 += t.bytes;
    else if (t.dtype === 'BF16') bytes.bfloat16 += t.bytes;
    else if (t.dtype === 'F32' || t.dtype === 'F64') bytes.float32 += t.bytes;
  }
  let best: OutputDtype = 'float32';
  for (const d of ['float16', 'bfloat16'] as const) if (bytes[d] > bytes[best]) best = d;
  return best;
}

export const sourceDtype = (folder: string): OutputDtype => dominantDtype(storedTensors(folder));

/** Bytes of a model folder's weights (tensor data, all shards). */
export const weightBytes = (folder: string): number => storedTensors(folder).reduce((a, t) => a + t.bytes, 0);

export interface SizePrediction {
  dtype: OutputDtype;
  /** The dense folder's weight bytes as stored. */
  denseBytes: number;
  /** The slice's weight bytes (exact shapes × the output dtype). */
  slicedBytes: number;
  /** The smallest ratio (in steps of 0.01) at which the slice would be smaller; null if none below 0.99. */
  smallerFrom: number | null;
  /** Why it is not smaller, when it is not. */
  why: string | null;
  /** Per-layer slices that are not smaller: the bytes the same ratio writes with uniform rotation (no shortcuts). */
  uniformBytes: number | null;
}

const configOf = (folder: string): ModelConfig => parseConfig(JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<string, unknown>);

export function predictSliceSize(folder: string, opts: SliceShapeOptions & { dtype?: OutputDtype }): SizePrediction {
  const tensors = storedTensors(folder);
  const dtype = opts.dtype ?? dominantDtype(tensors);
  const denseBytes = tensors.reduce((a, t) => a + t.bytes, 0);
  const c = configOf(folder);
  const bytesAt = (ratio: number): number => {
    try {
      return slicedParams(c, { ...opts, ratio }) * OUTPUT_BYTES[dtype];
    } catch {
      return Infinity; // a ratio that leaves nothing
    }
  };
  let smallerFrom: number | null = null;
  for (let k = 1; k < 99 && smallerFrom === null; k++) if (bytesAt(k / 100) < denseBytes) smallerFrom = k / 100;
  const slicedBytes = bytesAt(opts.ratio);
  let why: string | null = null;
  if (slicedBytes >= denseBytes) {
    const reasons: string[] = [];
    if (opts.ratio === 0) reasons.push('ratio 0 deletes nothing');
    if (opts.rotation !== 'uniform') reasons.push('every layer gains shortcut matrices');
    const stored = ELEMENT_BYTES[tensors.find((t) => t.dtype.startsWith('F') || t.dtype === 'BF16')?.dtype ?? 'F32'];
    if (OUTPUT_BYTES[dtype] > stored) reasons.push(`${dtype} takes more bytes than the model's own weights`);
    why = reasons.join(', ');
  }
  let uniformBytes: number | null = null;
  if (slicedBytes >= denseBytes && opts.rotation !== 'uniform' && opts.ratio > 0) {
    try {
      uniformBytes = slicedParams(c, { ...opts, rotation: 'uniform' }) * OUTPUT_BYTES[dtype];
    } catch {
      uniformBytes = null;
    }
  }
  return { dtype, denseBytes, slicedBytes, smallerFrom, why, uniformBytes };
}

/** "10.1 MB": decimal megabytes, as file managers show folder sizes. */
export function megabytes(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(bytes >= 1e7 ? 1 : 2)} MB`;
}
