// The dense products SliceGPT needs, with the precision the algorithm asks for: weights are rotated in
// float64 (float32 weights × float64 Q, rounded once to float32), the second moment is accumulated in
// float64, activations are rotated in float32. These are plain loops ordered for contiguous inner access;
// they are fast enough for the shared models and keep the numerics independent of any thread count, so a
// resumed run is bit-identical to an uninterrupted one.
import type { Matrix } from '../model/weights';

/** out = W · Q[:, :k] where W is rows×n float32 and Q is n×n float64 (row-major). Returns rows×k float32. */
export function mulRightF64(w: Matrix, q: Float64Array, n: number, k: number): Matrix {
  if (w.cols !== n) throw new Error(`mulRightF64: W has ${w.cols} columns, Q is ${n}×${n}`);
  // Qk = Q[:, :k] transposed to k×n so each output element is a contiguous dot product.
  const qt = new Float64Array(k * n);
  for (let j = 0; j < n; j++) for (let c = 0; c < k; c++) qt[c * n + j] = q[j * n + c];
  const out = new Float32Array(w.rows * k);
  const row = new Float64Array(n);
  for (let r = 0; r < w.rows; r++) {
    const base = r * n;
    for (let j = 0; j < n; j++) row[j] = w.data[base + j];
    for (let c = 0; c < k; c++) {
      const qb = c * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += row[j] * qt[qb + j];
      out[r * k + c] = s;
    }
  }
  return { rows: w.rows, cols: k, data: out };
}

/** out = (Qᵀ · W)[:k, :] where W is n×cols float32 and Q is n×n float64. Returns k×cols float32. */
export function mulLeftTransposedF64(q: Float64Array, n: number, k: number, w: Matrix): Matrix {
  if (w.rows !== n) throw new Error(`mulLeftTransposedF64: W has ${w.rows} rows, Q is ${n}×${n}`);
  const acc = new Float64Array(k * w.cols);
  const cols = w.cols;
  for (let r = 0; r < n; r++) {
    const wb = r * cols;
    for (let c = 0; c < k; c++) {
      const qv = q[r * n + c];
      if (qv === 0) continue;
      const ab = c * cols;
      for (let j = 0; j < cols; j++) acc[ab + j] += qv * w.data[wb + j];
    }
  }
  return { rows: k, cols, data: Float32Array.from(acc) };
}

/** out = (v · Q)[:k] for a float32 vector v of length n. */
export function vecMulF64(v: Float32Array, q: Float64Array, n: number, k: number): Float32Array {
  const acc = new Float64Array(k);
  for (let r = 0; r < n; r++) {
    const x = v[r];
    if (x === 0) continue;
    const qb = r * n;
    for (let c = 0; c < k; c++) acc[c] += x * q[qb + c];
  }
  return Float32Array.from(acc);
}

/** Qa[:, :ka]ᵀ · Qb[:, :kb] in float64, rounded to a float32 ka×kb shortcut matrix. */
export function shortcutMatrix(qa: Float64Array, qb: Float64Array, n: number, ka: number, kb: number): Matrix {
  const acc = new Float64Array(ka * kb);
  for (let r = 0; r < n; r++) {
    const ab = r * n;
    for (let i = 0; i < ka; i++) {
      const a = qa[ab + i];
      if (a === 0) continue;
      const ob = i * kb;
      for (let j = 0; j < kb; j++) acc[ob + j] += a * qb[ab + j];
    }
  }
  return { rows: ka, cols: kb, data: Float32Array.from(acc) };
}

/** Q[:, :k]ᵀ as a float32 k×n matrix (the shortcut from a rotated, sliced signal back to the unrotated one). */
export function transposedColumns(q: Float64Array, n: number, k: number): Matrix {
  const out = new Float32Array(k * n);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) out[c * n + r] = q[r * n + c];
  return { rows: k, cols: n, data: out };
}

/**
 * Rows of X (tokens × n, float32) times Q[:, :k]: the activations as the next block will see them.
 * Accumulates in float64 and rounds once, so the result does not depend on blocking.
 */
export function rotateRows(x: Float32Array, tokens: number, q: Float64Array, n: number, k: number): Float32Array {
  const qt = new Float64Array(k * n);
  for (let j = 0; j < n; j++) for (let c = 0; c < k; c++) qt[c * n + j] = q[j * n + c];
  const out = new Float32Array(tokens * k);
  const row = new Float64Array(n);
  for (let t = 0; t < tokens; t++) {
    const xb = t * n;
    for (let j = 0; j < n; j++) row[j] = x[xb + j];
    for (let c = 0; c < k; c++) {
      const qb = c * n;
      let s = 0;
      for (let j = 0; j < n; j++) s += row[j] * qt[qb + j];
      out[t * k + c] = s;
    }
  }
  return out;
}
