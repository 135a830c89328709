// The eigensolvers' input step: (A + Aᵀ)/2 scaled by a power of two near 1/max |a_ij| (LAPACK scales
// too; a power of two is exact both ways), so that every intermediate stays in range and Gram matrices
// with rounding-level asymmetry are fine.

export class EighError extends Error {
  override name = 'EighError';
}

/**
 * s = (A + Aᵀ)/2 · 2^−exponent; exponent null for the zero matrix (s is then all zero). `make` gives s's array:
 * float64 by default; the GPU solvers take float32 directly (one rounding of the float64 value, and no n² float64
 * copy to allocate and convert: 512 MiB at n = 8192).
 */
export function scaledSymmetric<T extends Float64Array | Float32Array = Float64Array>(a: Float64Array, n: number, make: (length: number) => T = (len) => new Float64Array(len) as T): { s: T; exponent: number | null } {
  let amax = 0;
  for (let i = 0; i < a.length; i++) {
    const x = Math.abs(a[i]);
    if (!(x <= amax)) {
      if (!Number.isFinite(x)) throw new EighError(`matrix has a non-finite entry at (${Math.floor(i / n)}, ${i % n})`);
      amax = x;
    }
  }
  const s = make(n * n);
  if (amax === 0) return { s, exponent: null };
  const e2 = Math.min(1000, Math.max(-1000, Math.floor(Math.log2(amax))));
  symmetrizedInto(a, n, s, 2 ** (-e2 - 1)); // ½ of the scale
  return { s, exponent: e2 };
}

/**
 * out = (A + Aᵀ)·half for a power of two `half` (½: the plain symmetrisation), as a·half + aᵀ·half — the same as
 * (a + aᵀ)·half wherever nothing overflows or goes subnormal, and in range where the sum would not be. In 64×64
 * tiles: the transposed side of a plain row loop would walk down columns of a matrix that does not fit in cache
 * (one miss per element).
 */
export function symmetrizedInto(a: Float64Array, n: number, out: Float64Array | Float32Array, half: number): void {
  const TILE = 64;
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      for (let i = i0; i < i1; i++) {
        const j1 = Math.min(i + 1, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          const v = a[i * n + j] * half + a[j * n + i] * half;
          out[i * n + j] = v;
          out[j * n + i] = v;
        }
      }
    }
  }
}
