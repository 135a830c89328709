// Slicing: deleting the minor principal components of an already-rotated network means keeping the leading
// rows or columns of its matrices (rotate.ts folds this into the rotation; these serve already-rotated
// weights, e.g. re-slicing a model rotated at full width).
import type { Linear, Matrix } from '../model/weights';

/** The leading `k` columns of a matrix. */
export function keepColumns(m: Matrix, k: number): Matrix {
  if (k > m.cols) throw new Error(`cannot keep ${k} of ${m.cols} columns`);
  if (k === m.cols) return m;
  const out = new Float32Array(m.rows * k);
  for (let r = 0; r < m.rows; r++) out.set(m.data.subarray(r * m.cols, r * m.cols + k), r * k);
  return { rows: m.rows, cols: k, data: out };
}

/** The leading `k` rows of a matrix. */
export function keepRows(m: Matrix, k: number): Matrix {
  if (k > m.rows) throw new Error(`cannot keep ${k} of ${m.rows} rows`);
  if (k === m.rows) return m;
  return { rows: k, cols: m.cols, data: m.data.slice(0, k * m.cols) };
}

/** A reader of a sliced signal keeps its leading `k` input columns. */
export function sliceReader(lin: Linear, k: number): Linear {
  return lin.bias ? { weight: keepColumns(lin.weight, k), bias: lin.bias } : { weight: keepColumns(lin.weight, k) };
}

/** A writer of a sliced signal keeps its leading `k` output rows (and bias entries). */
export function sliceWriter(lin: Linear, k: number): Linear {
  const weight = keepRows(lin.weight, k);
  return lin.bias ? { weight, bias: lin.bias.slice(0, k) } : { weight };
}
