// The matrix M of a divide-and-conquer merge: the merged eigenvectors are diag(Q1, Q2)·M, with M (m×m,
// row-major) holding the secular vectors and a unit column per deflated eigenvalue in rows permuted to
// the children's columns, the deflation rotations applied to its rows. Float64 when the host multiplies,
// float32 when the product runs on a GPU (built so directly: no m×m float64 copy to convert).
import type { MergeBasis } from './merge-basis';
import type { FloatArray } from './matmul';

export type MergeMatrix = FloatArray;

/**
 * Fills M (zeroing it first). Output column place[j] gets eigenpair j: the k roots in order (keep[i] is
 * the basis column of U's row i, U k×k row-major), then the deflated basis columns in basis order. Row
 * src[c] holds basis column c's coefficients in every output column (before the rotations: U's row, or
 * a 1).
 */
export function fillMergeMatrix(M: MergeMatrix, m: number, basis: MergeBasis, keep: Int32Array, U: Float64Array, place: Int32Array, descending: boolean): void {
  const { src, deflated, rotations } = basis;
  const k = keep.length;
  M.fill(0);
  for (let i = 0; i < k; i++) {
    const row = src[keep[i]] * m;
    if (!descending) M.set(U.subarray(i * k, (i + 1) * k), row);
    else for (let j = 0, u = i * k; j < k; j++) M[row + place[j]] = U[u + j];
  }
  for (let c = 0, j = k; c < m; c++) if (deflated[c]) M[src[c] * m + place[j++]] = 1;
  // The vectors are B·M' with B the rotated basis = B0·G1·G2·…; so M = G1·(G2·(…·M')): the last
  // rotation first, each a row operation on rows pj, c (in M's row numbering).
  for (let r = rotations.length - 4; r >= 0; r -= 4) {
    const rp = src[rotations[r]] * m;
    const rc = src[rotations[r + 1]] * m;
    const cs = rotations[r + 2];
    const sn = rotations[r + 3];
    for (let j = 0; j < m; j++) {
      const x = M[rp + j];
      const y = M[rc + j];
      M[rp + j] = cs * x - sn * y;
      M[rc + j] = sn * x + cs * y;
    }
  }
}

/**
 * x·M[r0 .. r0 + rows) in float64 (x has `rows` entries): one row of Q·M_part from Q's row alone — how
 * a merge whose product stays on a GPU knows its vectors' first and last rows, the only parts of them
 * its parent reads.
 */
export function rowTimes(x: Float64Array, M: MergeMatrix, r0: number, rows: number, m: number): Float64Array {
  const out = new Float64Array(m);
  for (let r = 0; r < rows; r++) {
    const a = x[r];
    if (a === 0) continue;
    const base = (r0 + r) * m;
    for (let j = 0; j < m; j++) out[j] += a * M[base + j];
  }
  return out;
}
