// Symmetric eigendecomposition in float64 — the PCA at the heart of SliceGPT. LAPACK dsyevd's
// pipeline, written in TypeScript with every O(n³) product on ONNX Runtime's Gemm:
//   1. blocked Householder tridiagonalization, A = Q·T·Qᵀ        (tridiagonalize.ts)
//   2. divide and conquer on T = Z·Λ·Zᵀ                          (divide-conquer.ts)
//   3. back-transformation V = Q·Z in compact-WY blocks           (back-transform.ts)
import { applyQ } from './back-transform';
import { tridiagonalEigen, type MergeRecord } from './divide-conquer';
import { EighError, scaledSymmetric } from './scale';
import { SECULAR_THREADS_MIN_K, startSecularPool } from './secular-pool';
import { tridiagonalize } from './tridiagonalize';

export { ConvergenceError } from './tql2';

export { EighError };

export interface EighOptions {
  /** Householder panel width (default: 256 for n ≥ 2048 on ≥ 8 cores, else 128; see tridiagonalize.ts). */
  blockSize?: number;
  /** Divide-and-conquer leaf size (default 32). */
  leafSize?: number;
  /** Aborts between panels / merges (throws the signal's reason). */
  signal?: AbortSignal;
  /**
   * Filled with seconds spent per phase: tridiagonalize, tridiagonalSolve, backTransform, total; and
   * within them `phase.step` keys for the ORT calls and the main JS steps (the rest of a phase is JS).
   */
  timings?: Record<string, number>;
  /** Each divide-and-conquer merge's deflation (divide-conquer.ts MergeRecord), pushed here. */
  merges?: MergeRecord[];
}

export interface EighResult {
  /** Eigenvalues in descending order. */
  values: Float64Array;
  /** n×n row-major; column j is the unit eigenvector of values[j], so A·V = V·diag(values). */
  vectors: Float64Array;
}

/**
 * Eigenvalues and eigenvectors of the symmetric n×n row-major matrix `a` (not modified). The matrix
 * is symmetrized as (A + Aᵀ)/2 first, so Gram matrices with rounding-level asymmetry are fine.
 */
export async function eigh(a: Float64Array, n: number, opts: EighOptions = {}): Promise<EighResult> {
  if (!Number.isInteger(n) || n < 0) throw new EighError(`matrix size must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) throw new EighError(`expected ${n}×${n} = ${n * n} elements, got ${a.length}`);
  const clock = () => performance.now() / 1000;
  const timings = opts.timings;
  const t0 = clock();
  const values = new Float64Array(n);
  const { s, exponent: e2 } = scaledSymmetric(a, n);
  if (e2 === null) {
    const vectors = new Float64Array(n * n);
    for (let i = 0; i < n; i++) vectors[i * n + i] = 1;
    return { values, vectors };
  }
  if (timings) timings['tridiagonalize.symmetrize'] = clock() - t0;
  // The secular equation's workers start while T is formed (their cold start otherwise delays the first large merge).
  if (n > SECULAR_THREADS_MIN_K) startSecularPool();

  const tri = await tridiagonalize(s, n, { blockSize: opts.blockSize, signal: opts.signal, timings });
  const t1 = clock();
  const eig = await tridiagonalEigen(tri.d, tri.e, n, { leafSize: opts.leafSize, signal: opts.signal, timings, descending: true, merges: opts.merges });
  const t2 = clock();
  const z = eig.vectors;
  // s (the symmetrized input) is dead now: the back-transformation alternates with it.
  await applyQ(tri, z, n, { signal: opts.signal, timings, work: s });
  const t3 = clock();
  // Descending values; column j must hold values[j]'s vector. The top D&C merge normally stored them
  // so (then z is returned as is); otherwise (a single leaf, …) the columns are gathered.
  const from = new Int32Array(n);
  const unscale = 2 ** e2;
  let inPlace = true;
  for (let j = 0; j < n; j++) {
    values[j] = eig.values[n - 1 - j] * unscale;
    from[j] = eig.columns[n - 1 - j];
    if (from[j] !== j) inPlace = false;
  }
  let vectors = z;
  if (!inPlace) {
    vectors = new Float64Array(n * n);
    for (let r = 0; r < n; r++) {
      const row = r * n;
      for (let j = 0; j < n; j++) vectors[row + j] = z[row + from[j]];
    }
  }
  if (timings) {
    timings.tridiagonalize = t1 - t0;
    timings.tridiagonalSolve = t2 - t1;
    timings.backTransform = t3 - t2;
    timings.total = clock() - t0;
  }
  return { values, vectors };
}
