// The feeds of a block graph: each weight checked against the width it meets and wrapped as an ORT
// tensor under the graph input's name. Every weight mode starts from these feeds — fed mode passes them
// as they are, baked mode binds the weights into the graph, resident mode swaps them for device copies.
// A lazy float16 matrix (model/lazy-half.ts) is fed as its array unfilled: every mode widens it before reading
// its values (runner.ts #run, resident-weights.ts), and a resident runner that adopted it never does.
import ort from 'onnxruntime-node';
import type { ArchSpec } from '../model/model-source';
import type { AttentionWeights, Linear, Matrix, MlpWeights, NormSpec } from '../model/weights';
import { storageOf } from '../model/lazy-half';

export type Feeds = Record<string, ort.Tensor>;

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/**
 * KV cache of one layer: [batch, kvHeads, past, headDim] each — host arrays, or tensors a previous run
 * returned (on a GPU EP in decoding mode they stay on the device and are fed straight back).
 */
export interface KvCache {
  k: Float32Array | ort.Tensor;
  v: Float32Array | ort.Tensor;
  past: number;
}

/** A layer's cache before the prompt pass. */
export const emptyCache = (): KvCache => ({ k: new Float32Array(0), v: new Float32Array(0), past: 0 });

/** Feeds that change per run; everything else fed to a block is a weight. */
export const RUNTIME_FEEDS = new Set(['x', 'ids', 'position_ids', 'cos', 'sin', 'mask', 'past_k', 'past_v', 'targets']);

export const t32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);

export function feedNorm(f: Feeds, n: NormSpec, width: number, p = 'norm'): void {
  if (n.kind === 'layernorm') {
    f[`${p}.weight`] = t32(n.weight, [n.weight.length]);
    f[`${p}.bias`] = t32(n.bias, [n.bias.length]);
  } else if (n.weight) f[`${p}.weight`] = t32(n.weight, [n.weight.length]);
  const w = n.kind === 'layernorm' ? n.weight.length : (n.weight?.length ?? width);
  if (w !== width) throw new RuntimeError(`norm ${p} has width ${w} but its input has width ${width}`);
}

export function feedLinear(f: Feeds, p: string, l: Linear | undefined, inWidth: number): number {
  if (!l) throw new RuntimeError(`missing weights for ${p}`);
  const { rows, cols } = l.weight;
  // The array itself, unread: a lazy float16 matrix's values are filled where a run reads them (runner.ts).
  const data = storageOf(l.weight);
  if (cols !== inWidth) throw new RuntimeError(`${p}: weight is ${rows}×${cols} but its input has width ${inWidth}`);
  if (data.length !== rows * cols) throw new RuntimeError(`${p}: weight data has ${data.length} values, expected ${rows}×${cols}`);
  f[`${p}.weight`] = t32(data, [rows, cols]);
  if (l.bias) f[`${p}.bias`] = t32(l.bias, [l.bias.length]);
  return rows;
}

export function widthOf(x: Float32Array, batch: number, seq: number): number {
  const w = x.length / (batch * seq);
  if (!Number.isInteger(w) || w === 0) throw new RuntimeError(`activations of length ${x.length} do not split into ${batch}×${seq} rows`);
  return w;
}

/** The attention projections; returns the block's output width. */
export function feedAttn(f: Feeds, arch: ArchSpec, w: Omit<AttentionWeights, 'norm' | 'shortcut'>, width: number): number {
  const { numHeads: H, numKvHeads: Hkv, headDim: d } = arch;
  const q = feedLinear(f, 'q', w.q, width);
  const k = feedLinear(f, 'k', w.k, width);
  const v = feedLinear(f, 'v', w.v, width);
  if (q !== H * d || k !== Hkv * d || v !== Hkv * d) throw new RuntimeError(`attention projections give ${q}/${k}/${v} features, expected ${H * d}/${Hkv * d}/${Hkv * d}`);
  if (w.qkNorm) {
    if (w.qkNorm.q.length !== d || w.qkNorm.k.length !== d) throw new RuntimeError(`q/k head norms have widths ${w.qkNorm.q.length}/${w.qkNorm.k.length}, expected the head width ${d}`);
    f['q_norm.weight'] = t32(w.qkNorm.q, [d]);
    f['k_norm.weight'] = t32(w.qkNorm.k, [d]);
  }
  return feedLinear(f, 'o', w.o, H * d);
}

/** The MLP projections; returns the block's output width. */
export function feedMlp(f: Feeds, w: Omit<MlpWeights, 'norm' | 'shortcut'>, width: number): number {
  const up = feedLinear(f, 'up', w.up, width);
  if (w.gate && feedLinear(f, 'gate', w.gate, width) !== up) throw new RuntimeError('MLP gate and up projections differ in width');
  return feedLinear(f, 'down', w.down, up);
}

export function feedShortcut(f: Feeds, s: Matrix | undefined, width: number, out: number): void {
  if (s) {
    if (s.rows !== width || s.cols !== out) throw new RuntimeError(`shortcut is ${s.rows}×${s.cols}, expected ${width}×${out}`);
    f.shortcut = t32(storageOf(s), [s.rows, s.cols]);
  } else if (width !== out) throw new RuntimeError(`block maps width ${width} to ${out} but has no shortcut matrix`);
}

/** `cache` undefined: no cache graph. An empty cache (past 0) starts one (prefill). Returns whether the graph takes a cache. */
export function feedCache(f: Feeds, arch: ArchSpec, batch: number, cache: KvCache | undefined): boolean {
  if (!cache) return false;
  const { numKvHeads: Hkv, headDim: d } = arch;
  const dims = [batch, Hkv, cache.past, d];
  const feed = (c: Float32Array | ort.Tensor) => (c instanceof Float32Array ? t32(c, dims) : c);
  f.past_k = feed(cache.k);
  f.past_v = feed(cache.v);
  return true;
}

/** The activations feed: a host array wrapped, or a [batch, seq, width] tensor (possibly on the device). */
export function feedX(x: Float32Array | ort.Tensor, batch: number, seq: number): { t: ort.Tensor; width: number } {
  if (x instanceof Float32Array) {
    const width = widthOf(x, batch, seq);
    return { t: t32(x, [batch, seq, width]), width };
  }
  if (x.dims.length !== 3 || x.dims[0] !== batch || x.dims[1] !== seq) throw new RuntimeError(`activations of shape ${x.dims.join('×')} are not [${batch}, ${seq}, width]`);
  return { t: x, width: x.dims[2] };
}

/** The head's targets; a negative target (no target at that position) is fed as 0 and its NLL dropped later. */
export function feedTargets(f: Feeds, targets: Int32Array, vocab: number): void {
  const t = new Int32Array(targets.length);
  for (let i = 0; i < targets.length; i++) {
    const v = targets[i];
    if (v >= vocab) throw new RuntimeError(`target ${v} is outside the vocabulary (0…${vocab - 1})`);
    t[i] = v < 0 ? 0 : v;
  }
  f.targets = new ort.Tensor('int32', t, [targets.length]);
}
