// The GPU solvers' last host step on T's eigenpairs: descending values (unscaled), and T's vectors as a
// float32 matrix whose column j belongs to value j — needed only when the top merge did not already leave
// them so on the device (a single leaf, n ≤ the leaf size).
import type { TridiagonalEigen } from './divide-conquer';

/** values[j] = the j-th largest eigenvalue × unscale; from[j] = the column of eig.vectors holding its vector. */
export function descendingPairs(eig: TridiagonalEigen, n: number, unscale: number): { values: Float64Array; from: Int32Array; inPlace: boolean } {
  const values = new Float64Array(n);
  const from = new Int32Array(n);
  let inPlace = true;
  for (let j = 0; j < n; j++) {
    values[j] = eig.values[n - 1 - j] * unscale;
    from[j] = eig.columns[n - 1 - j];
    if (from[j] !== j) inPlace = false;
  }
  return { values, from, inPlace };
}

/** eig.vectors with its columns gathered in `from` order, as float32. */
export function gatheredVectors32(eig: TridiagonalEigen, n: number, from: Int32Array): Float32Array {
  const z = new Float32Array(n * n);
  for (let r = 0; r < n; r++) {
    const row = r * n;
    for (let j = 0; j < n; j++) z[row + j] = eig.vectors[row + from[j]];
  }
  return z;
}
