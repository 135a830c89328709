// The dense products SliceGPT needs, with the precision the algorithm asks for: weights are rotated in
// float64 (float32 weights widened, × float64 Q, rounded once to float32), second moments are accumulated
// in float64, activations are rotated in float64 and rounded once. All O(n³) work goes through ONNX
// Runtime's Gemm (core/linalg/matmul.ts); only O(n²) copies and conversions run in JS.
import type { Matrix } from '../model/weights';
import { gemm } from '../linalg/matmul';
import { float64Q, type QMatrix } from './q-matrix';

/** Q[:, :k] as a contiguous n×k float64 matrix (a float32 Q widened exactly). */
export function leadingColumns(q: QMatrix, n: number, k: number): Float64Array {
  if (k === n) return float64Q(q);
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) out.set(q.subarray(r * n, r * n + k), r * k);
  return out;
}

/**
 * Q[:, :k] as a contiguous n×k float32 matrix (each value rounded once): Float32Array.from(leadingColumns(q, n, k))
 * without the float64 copy. A float32 Q with k = n is returned as is (no copy): Q is never written.
 */
export function leadingColumns32(q: QMatrix, n: number, k: number): Float32Array {
  if (k === n && q instanceof Float32Array) return q;
  const out = new Float32Array(n * k);
  if (k === n) out.set(q);
  else for (let r = 0; r < n; r++) out.set(q.subarray(r * n, r * n + k), r * k);
  return out;
}

const widen = (x: Float32Array): Float64Array => Float64Array.from(x);

/** out = W · Q[:, :k] where W is rows×n float32 and Q is n×n (float64, or float32 widened). Returns rows×k float32. */
export async function mulRightF64(w: Matrix, q: QMatrix, n: number, k: number): Promise<Matrix> {
  if (w.cols !== n) throw new Error(`mulRightF64: W has ${w.cols} columns, Q is ${n}×${n}`);
  const y = await gemm(widen(w.data), leadingColumns(q, n, k), w.rows, n, k);
  return { rows: w.rows, cols: k, data: Float32Array.from(y) };
}

/** out = (Qᵀ · W)[:k, :] where W is n×cols float32 and Q is n×n (float64, or float32 widened). Returns k×cols float32. */
export async function mulLeftTransposedF64(q: QMatrix, n: number, k: number, w: Matrix): Promise<Matrix> {
  if (w.rows !== n) throw new Error(`mulLeftTransposedF64: W has ${w.rows} rows, Q is ${n}×${n}`);
  const y = await gemm(leadingColumns(q, n, k), widen(w.data), k, n, w.cols, { transA: true });
  return { rows: k, cols: w.cols, data: Float32Array.from(y) };
}

/** out = (v · Q)[:k] for a float32 vector v of length n. */
export async function vecMulF64(v: Float32Array, q: QMatrix, n: number, k: number): Promise<Float32Array> {
  return Float32Array.from(await gemm(widen(v), leadingColumns(q, n, k), 1, n, k));
}

/** Qa[:, :ka]ᵀ · Qb[:, :kb] in float64, rounded to a float32 ka×kb shortcut matrix. */
export async function shortcutMatrix(qa: QMatrix, qb: QMatrix, n: number, ka: number, kb: number): Promise<Matrix> {
  const y = await gemm(leadingColumns(qa, n, ka), leadingColumns(qb, n, kb), ka, n, kb, { transA: true });
  return { rows: ka, cols: kb, data: Float32Array.from(y) };
}

/** Q[:, :k]ᵀ as a float32 k×n matrix (the shortcut from a rotated, sliced signal back to the unrotated one). */
export function transposedColumns(q: QMatrix, n: number, k: number): Matrix {
  const out = new Float32Array(k * n);
  // In square tiles: the plain loop wrote n apart (~0.15 s at 4096 × 3072).
  const B = 64;
  for (let r0 = 0; r0 < n; r0 += B) for (let c0 = 0; c0 < k; c0 += B) for (let r = r0, re = Math.min(r0 + B, n); r < re; r++) for (let c = c0, ce = Math.min(c0 + B, k); c < ce; c++) out[c * n + r] = q[r * n + c];
  return { rows: k, cols: n, data: out };
}

/** Rows of X (tokens × n, float32) times Q[:, :k], in float64, rounded once: the next block's inputs. */
export async function rotateRows(x: Float32Array, tokens: number, q: QMatrix, n: number, k: number): Promise<Float32Array> {
  return Float32Array.from(await gemm(widen(x), leadingColumns(q, n, k), tokens, n, k));
}
