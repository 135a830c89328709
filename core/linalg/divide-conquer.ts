// Cuppen's divide and conquer for the symmetric tridiagonal eigenproblem (LAPACK dstedc/dlaed0–3):
// tear T into two halves plus a rank-one term, solve the halves recursively, then merge through the
// secular equation. Deflation (tiny z components, nearly equal poles) is what makes clustered and
// repeated eigenvalues exact.
//
// The merge is arranged so that JS does O(m) work per column and never walks the children's vectors:
// the merged eigenvectors are diag(Q1, Q2)·M, where M (m×m) holds the secular vectors (and a unit
// column per deflated eigenvalue) in rows permuted to the children's columns, with the deflation
// rotations applied to its rows. The two ORT Gemms Q1·M_top and Q2·M_bottom then write the merged
// matrix's top and bottom rows directly — no gather of children's columns, no assembly pass. Columns
// are not sorted: `columns` says where each eigenvalue's vector is (sorting would be one more m² pass
// per merge; the caller's final copy applies the order once).
import { gemm } from './matmul';
import { solveSecular, secularVectors } from './secular';
import { SECULAR_THREADS_MIN_K, secularThreads, sharedFloat64, threadedSecular } from './secular-pool';
import { timed, type Timings } from './timing';
import { tql2 } from './tql2';

const EPS = 2 ** -53;

export interface TridiagonalEigen {
  /** Ascending. */
  values: Float64Array;
  /** m×m row-major; column columns[j] is the unit eigenvector of values[j]. */
  vectors: Float64Array;
  /** A permutation of 0..m−1. */
  columns: Int32Array;
}

export interface DivideConquerOptions {
  /** Blocks of at most this size are solved by implicit QL (default 32). */
  leafSize?: number;
  signal?: AbortSignal;
  /** Accumulates seconds in the merges' Gemms and in the secular equation (roots and vectors). */
  timings?: Timings;
  /**
   * Have the top merge store the vectors in descending order of value (columns[j] = m − 1 − j), as
   * eigh returns them: its Gemm writes them there at no cost, sparing the caller an m² permutation.
   * (Not guaranteed: check `columns`; a single leaf comes back ascending.)
   */
  descending?: boolean;
  /**
   * Computes the top merge's product [Q1·M_top; Q2·M_bottom] itself (e.g. on a GPU, where the vectors
   * are needed next): Q1 n1×n1, Q2 n2×n2, M_top n1×m, M_bottom n2×m, all row-major and valid only during
   * the call. The result's `vectors` is then empty. Not called when no merge couples anything (a single
   * leaf): check `vectors.length`.
   */
  topProduct?: (q1: Float64Array, q2: Float64Array, n1: number, n2: number, mTop: Float64Array, mBottom: Float64Array) => Promise<void>;
  /**
   * May compute a lower merge's product [Q1·M_top; Q2·M_bottom] into `out` (m×m row-major) elsewhere (a
   * GPU) and return true; false leaves it to the CPU Gemm.
   */
  mergeProduct?: (q1: Float64Array, q2: Float64Array, n1: number, n2: number, mTop: Float64Array, mBottom: Float64Array, out: Float64Array) => Promise<boolean>;
  /**
   * Threads for a merge's secular equation (secular-pool.ts; default SLICE_STUDIO_SECULAR_THREADS or
   * the machine's parallelism; 1 = serial). The results are the same bits either way.
   */
  secularThreads?: number;
  /** Merges with fewer secular roots than this stay on this thread (default SECULAR_THREADS_MIN_K). */
  secularMinK?: number;
}

/** Eigen-decomposition of the tridiagonal (d, e) of size m; d and e are not modified. */
export async function tridiagonalEigen(d: Float64Array, e: Float64Array, m: number, opts: DivideConquerOptions = {}): Promise<TridiagonalEigen> {
  const leaf = Math.max(2, opts.leafSize ?? 32);
  // M of every merge lives in one buffer sized for the largest (the top) merge: merges run one at a
  // time, and a fresh 100+ MB array per merge costs page faults and garbage collections.
  // The children's vector matrices are dead once merged; later merges of the same size reuse them.
  const scratch = m > leaf ? new Float64Array(m * m) : new Float64Array(0);
  const threads = opts.secularThreads ?? secularThreads();
  const work: Work = { scratch, pool: new Map(), timings: opts.timings, mergeProduct: opts.mergeProduct, threads, minK: opts.secularMinK ?? SECULAR_THREADS_MIN_K };
  return solve(d.slice(0, m), e.slice(0, Math.max(m - 1, 0)), m, leaf, work, opts.signal, !!opts.descending, opts.topProduct);
}

interface Work {
  /** M of the current merge. */
  scratch: Float64Array;
  /** Free m×m matrices by length. */
  pool: Map<number, Float64Array[]>;
  timings: Timings;
  mergeProduct?: DivideConquerOptions['mergeProduct'];
  /** The secular equation's threads and their cutoff. */
  threads: number;
  minK: number;
  /**
   * Shared memory for a threaded merge's k×k delta and U, grown to the largest k so far (one more k²
   * array while the solve runs, only when threads are used: at most m², less where merges deflate).
   */
  sharedDelta?: Float64Array;
}

/** A matrix of `len` elements, reused or fresh; its contents are arbitrary. */
function take(work: Work, len: number): Float64Array {
  return work.pool.get(len)?.pop() ?? new Float64Array(len);
}

function release(work: Work, x: Float64Array): void {
  const list = work.pool.get(x.length);
  if (list) list.push(x);
  else work.pool.set(x.length, [x]);
}

type Product = DivideConquerOptions['topProduct'];

async function solve(d: Float64Array, e: Float64Array, m: number, leaf: number, work: Work, signal?: AbortSignal, descending = false, product?: Product): Promise<TridiagonalEigen> {
  signal?.throwIfAborted();
  if (m <= leaf) {
    const values = d.slice();
    const vectors = new Float64Array(m * m);
    tql2(values, e.slice(), m, vectors);
    return { values, vectors, columns: Int32Array.from({ length: m }, (_, j) => j) };
  }
  const n1 = m >> 1;
  const beta = e[n1 - 1];
  const rho = Math.abs(beta);
  const d1 = d.slice(0, n1);
  const d2 = d.slice(n1);
  d1[n1 - 1] -= rho;
  d2[0] -= rho;
  const left = await solve(d1, e.subarray(0, n1 - 1), n1, leaf, work, signal);
  const right = await solve(d2, e.subarray(n1), m - n1, leaf, work, signal);
  const merged = await merge(left, right, n1, m - n1, rho, beta < 0 ? -1 : 1, work, descending, product);
  release(work, left.vectors);
  release(work, right.vectors);
  return merged;
}

/**
 * Eigen-decomposition of diag(Q1, Q2)·(diag(λ1, λ2) + ρ·z·zᵀ)·diag(Q1, Q2)ᵀ with z = [last row of
 * Q1, sign·first row of Q2] — the tridiagonal whose halves the children solved.
 */
async function merge(left: TridiagonalEigen, right: TridiagonalEigen, n1: number, n2: number, rho: number, sign: number, work: Work, descending: boolean, product?: Product): Promise<TridiagonalEigen> {
  const m = n1 + n2;
  // Basis columns sorted by value (the children's values are each ascending). src[c] is the row of M
  // that multiplies it: a column of Q1 (< n1) or n1 + a column of Q2.
  const D = new Float64Array(m);
  const Z = new Float64Array(m);
  const src = new Int32Array(m);
  for (let a = 0, b = 0, c = 0; c < m; c++) {
    if (b >= n2 || (a < n1 && left.values[a] <= right.values[b])) {
      const col = left.columns[a++];
      D[c] = left.values[a - 1];
      Z[c] = left.vectors[(n1 - 1) * n1 + col];
      src[c] = col;
    } else {
      const col = right.columns[b++];
      D[c] = right.values[b - 1];
      Z[c] = sign * right.vectors[col];
      src[c] = n1 + col;
    }
  }
  // Normalize so ‖z‖ = 1 (‖z‖² = 2 up to rounding): ρ·z·zᵀ is unchanged.
  let zn = 0;
  for (let c = 0; c < m; c++) zn += Z[c] * Z[c];
  zn = Math.sqrt(zn);
  for (let c = 0; c < m; c++) Z[c] /= zn;
  rho *= zn * zn;
  let dmax = 0;
  let zmax = 0;
  for (let c = 0; c < m; c++) {
    dmax = Math.max(dmax, Math.abs(D[c]));
    zmax = Math.max(zmax, Math.abs(Z[c]));
  }
  const tol = 16 * EPS * Math.max(dmax, zmax);

  // Deflation (dlaed2): drop tiny z_c; rotate nearly equal pole pairs so one z vanishes. Rotations
  // are recorded (basis columns pj, c; cosine, sine) and applied to M's rows below.
  const deflated = new Uint8Array(m);
  const rotations: number[] = [];
  if (rho * zmax <= tol) deflated.fill(1);
  else {
    let pj = -1;
    for (let c = 0; c < m; c++) {
      if (rho * Math.abs(Z[c]) <= tol) {
        deflated[c] = 1;
        continue;
      }
      if (pj < 0) {
        pj = c;
        continue;
      }
      const s0 = Z[pj];
      const c0 = Z[c];
      const tau = Math.hypot(c0, s0);
      const t = D[c] - D[pj];
      const cs = c0 / tau;
      const sn = -s0 / tau;
      if (Math.abs(t * cs * sn) <= tol) {
        // Rotate basis columns pj, c (b_pj ← cs·b_pj + sn·b_c, b_c ← cs·b_c − sn·b_pj) so that
        // z_pj = 0: pj becomes an eigenvector, exactly.
        Z[c] = tau;
        Z[pj] = 0;
        rotations.push(pj, c, cs, sn);
        const dp = D[pj] * cs * cs + D[c] * sn * sn;
        D[c] = D[pj] * sn * sn + D[c] * cs * cs;
        D[pj] = dp;
        deflated[pj] = 1;
      }
      pj = c;
    }
  }

  // Nothing couples the halves: the merged vectors are diag(Q1, Q2) itself, no product needed.
  const values = new Float64Array(m);
  const columns = new Int32Array(m);
  const vectors = take(work, m * m);
  if (!descending && rotations.length === 0 && deflated.every((x) => x === 1)) {
    vectors.fill(0);
    for (let r = 0; r < n1; r++) vectors.set(left.vectors.subarray(r * n1, (r + 1) * n1), r * m);
    for (let r = 0; r < n2; r++) vectors.set(right.vectors.subarray(r * n2, (r + 1) * n2), (n1 + r) * m + n1);
    sortPairs(D, src, values, columns);
    return { values, vectors, columns };
  }

  // Non-deflated part: secular equation, ordered by value (rotations may perturb order by ~tol).
  const keepList: number[] = [];
  for (let c = 0; c < m; c++) if (!deflated[c]) keepList.push(c);
  keepList.sort((x, y) => D[x] - D[y]);
  const keep = Int32Array.from(keepList);
  const k = keep.length;
  const dk = new Float64Array(k);
  const zk = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    dk[i] = D[keep[i]];
    zk[i] = Z[keep[i]];
  }
  // delta and then U live in the output matrix until the Gemms overwrite it (U is copied into M first),
  // or in shared memory when the secular equation runs on several threads.
  const t0 = performance.now();
  let lambda: Float64Array;
  let U: Float64Array;
  if (work.threads > 1 && k >= work.minK) {
    if (!work.sharedDelta || work.sharedDelta.length < k * k) work.sharedDelta = sharedFloat64(k * k);
    ({ lambda, U } = await threadedSecular(dk, zk, k, rho, work.sharedDelta, work.threads));
  } else {
    const roots = solveSecular(dk, zk, k, rho, vectors);
    lambda = roots.lambda;
    U = secularVectors(dk, zk, k, roots);
  }
  if (work.timings) work.timings['tridiagonalSolve.secular'] = (work.timings['tridiagonalSolve.secular'] ?? 0) + (performance.now() - t0) / 1000;

  // Eigenpair j: the k roots in order, then the deflated basis columns; stored in column place[j]
  // (j itself, or its rank from the top when descending). Row src[c] of M holds basis column c's
  // coefficients in every output column (before the rotations: U's row, or a 1).
  const outValue = new Float64Array(m);
  for (let i = 0; i < k; i++) outValue[i] = lambda[i];
  for (let c = 0, j = k; c < m; c++) if (deflated[c]) outValue[j++] = D[c];
  const order = Int32Array.from({ length: m }, (_, j) => j).sort((x, y) => outValue[x] - outValue[y]);
  const place = Int32Array.from({ length: m }, (_, j) => j);
  if (descending) for (let r = 0; r < m; r++) place[order[r]] = m - 1 - r;
  const M = work.scratch.subarray(0, m * m).fill(0);
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
  // Top rows = Q1·M[0:n1], bottom rows = Q2·M[n1:], written in place.
  await timed(work.timings, 'tridiagonalSolve.gemm', async () => {
    if (product) return product(left.vectors, right.vectors, n1, n2, M.subarray(0, n1 * m), M.subarray(n1 * m));
    if (work.mergeProduct && (await work.mergeProduct(left.vectors, right.vectors, n1, n2, M.subarray(0, n1 * m), M.subarray(n1 * m), vectors))) return;
    await gemm(left.vectors, M.subarray(0, n1 * m), n1, n1, m, { out: vectors.subarray(0, n1 * m) });
    await gemm(right.vectors, M.subarray(n1 * m), n2, n2, m, { out: vectors.subarray(n1 * m) });
  });
  for (let r = 0; r < m; r++) {
    values[r] = outValue[order[r]];
    columns[r] = place[order[r]];
  }
  if (product) {
    release(work, vectors);
    return { values, vectors: new Float64Array(0), columns };
  }
  return { values, vectors, columns };
}

/** values/columns ← (v, col) pairs sorted by v ascending. */
function sortPairs(v: Float64Array, col: Int32Array, values: Float64Array, columns: Int32Array): void {
  const idx = Int32Array.from({ length: v.length }, (_, i) => i).sort((x, y) => v[x] - v[y]);
  for (let j = 0; j < idx.length; j++) {
    values[j] = v[idx[j]];
    columns[j] = col[idx[j]];
  }
}
