// Shared measurements for the linear-algebra tests: deterministic random matrices and the two
// accuracy measures of an eigendecomposition.
import { gemm } from '../../core/linalg/matmul';

/** Deterministic uniform(−½, ½) generator (tests must not depend on Math.random). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32 - 0.5;
  };
}

export function randomSymmetric(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = r();
  return a;
}

/** A random orthogonal n×n matrix (modified Gram–Schmidt, twice, on a random matrix). */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  const r = rng(seed);
  const cols: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const v = new Float64Array(n).map(() => r());
    for (let pass = 0; pass < 2; pass++) {
      for (const q of cols) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += q[i] * v[i];
        for (let i = 0; i < n; i++) v[i] -= dot * q[i];
      }
    }
    let nrm = 0;
    for (let i = 0; i < n; i++) nrm += v[i] * v[i];
    nrm = Math.sqrt(nrm);
    for (let i = 0; i < n; i++) v[i] /= nrm;
    cols.push(v);
  }
  const q = new Float64Array(n * n);
  cols.forEach((c, j) => c.forEach((x, i) => (q[i * n + j] = x)));
  return q;
}

/** Q·diag(values)·Qᵀ, symmetrized exactly. */
export async function withSpectrum(values: number[], seed: number): Promise<Float64Array> {
  const n = values.length;
  const q = randomOrthogonal(n, seed);
  const ql = q.slice();
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) ql[i * n + j] *= values[j];
  const a = await gemm(ql, q, n, n, n, { transB: true });
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) a[i * n + j] = a[j * n + i];
  return a;
}

function frob(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return Math.sqrt(s);
}

/** ‖A·V − V·Λ‖_F / ‖A‖_F */
export async function residual(a: Float64Array, n: number, values: Float64Array, vectors: Float64Array): Promise<number> {
  const av = await gemm(a, vectors, n, n, n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) av[i * n + j] -= vectors[i * n + j] * values[j];
  return frob(av) / frob(a);
}

/** ‖VᵀV − I‖_F */
export async function orthogonality(vectors: Float64Array, n: number): Promise<number> {
  const g = await gemm(vectors, vectors, n, n, n, { transA: true });
  for (let i = 0; i < n; i++) g[i * n + i] -= 1;
  return frob(g);
}

export function isDescending(v: Float64Array): boolean {
  for (let i = 1; i < v.length; i++) if (!(v[i] <= v[i - 1])) return false;
  return true;
}
