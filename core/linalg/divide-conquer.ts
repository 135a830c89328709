// Cuppen's divide and conquer for the symmetric tridiagonal eigenproblem (LAPACK dstedc/dlaed0–3):
// tear T into two halves plus a rank-one term, solve the halves recursively, then merge through the
// secular equation. Deflation (tiny z components, nearly equal poles; merge-basis.ts) is what makes
// clustered and repeated eigenvalues exact.
//
// The merge is arranged so that JS does O(m) work per column and never walks the children's vectors:
// the merged eigenvectors are diag(Q1, Q2)·M, where M (m×m, merge-matrix.ts) holds the secular vectors
// (and a unit column per deflated eigenvalue) in rows permuted to the children's columns, with the
// deflation rotations applied to its rows. The two Gemms Q1·M_top and Q2·M_bottom then write the merged
// matrix's top and bottom rows directly — no gather of children's columns, no assembly pass. Columns
// are not sorted: `columns` says where each eigenvalue's vector is (sorting would be one more m² pass
// per merge; the caller's final copy applies the order once).
//
// With `device` (device-merges.ts), merges from a size up and the top merge keep their vectors on a GPU:
// M is built as float32 (by the device itself from O(m) numbers, merge-spec.ts, when it can), the product
// stays there, and only the first and last rows of each merged matrix are known on the host (all a
// parent merge reads of it).
import { addSince, timed, timedWait, type Timings } from '../base/laps';
import { largestHostMerge, onDevice, type DeviceMerges } from './device-merges';
import { gemm } from './matmul';
import { mergeBasis } from './merge-basis';
import { fillMergeMatrix, rowTimes, type MergeMatrix } from './merge-matrix';
import { mergeSpec } from './merge-spec';
import { secularVectors, secularZhat, solveSecular, type SecularRoots } from './secular';
import { SECULAR_THREADS_MIN_K, secularThreads, sharedFloat64, threadedSecular } from './secular-pool';
import { tql2 } from './tql2';

export interface TridiagonalEigen<B = unknown> {
  /** Ascending. */
  values: Float64Array;
  /** m×m row-major; column columns[j] is the unit eigenvector of values[j]. Empty when they are in `buffer`. */
  vectors: Float64Array;
  /** A permutation of 0..m−1. */
  columns: Int32Array;
  /** The vectors (m×m row-major, float32) on the device, when options.device had the top merge. */
  buffer?: B;
}

/** One merge as the solve saw it (DivideConquerOptions.merges): how much of it deflated. */
export interface MergeRecord {
  /** Its size and halves (m = n1 + n2). */
  m: number;
  n1: number;
  n2: number;
  /** Eigenvalues left to the secular equation (m − k deflated: a tiny z component or a pole equal to another). */
  k: number;
  /** Givens rotations of the equal-pole deflations. */
  rotations: number;
  top: boolean;
  /** Nothing coupled the halves (every z component deflated, no rotation): a host merge then multiplies nothing. */
  uncoupled: boolean;
}

export interface DivideConquerOptions<B = unknown> {
  /** Blocks of at most this size are solved by implicit QL (default 32). */
  leafSize?: number;
  signal?: AbortSignal;
  /**
   * Accumulates seconds per part of the merges: tridiagonalSolve.secular (roots and vectors, or roots and
   * ẑ when the device builds M), .buildM (M filled and rotated, on the host or by the device's kernels,
   * waited for), .gemm (the products), and with `device` .upload (a host-built M and host children going
   * up) and .rows (the first and last rows kept on the host, read from M where it is).
   */
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
   * leaf): check `vectors.length`. Unused with `device`.
   */
  topProduct?: (q1: Float64Array, q2: Float64Array, n1: number, n2: number, mTop: Float64Array, mBottom: Float64Array) => Promise<void>;
  /**
   * Keeps the vectors of the top merge and of every merge of at least device.min on a GPU: the result's
   * `buffer` then holds them (`vectors` is empty) unless the solve was a single leaf.
   */
  device?: DeviceMerges<B>;
  /**
   * Threads for a merge's secular equation (secular-pool.ts; default SLICE_STUDIO_SECULAR_THREADS or
   * the machine's parallelism; 1 = serial). The results are the same bits either way.
   */
  secularThreads?: number;
  /** Merges with fewer secular roots than this stay on this thread (default SECULAR_THREADS_MIN_K). */
  secularMinK?: number;
  /** Each merge's record is pushed here (bench dc-deflation: how much a spectrum deflates). */
  merges?: MergeRecord[];
}

/** Eigen-decomposition of the tridiagonal (d, e) of size m; d and e are not modified. */
export async function tridiagonalEigen<B = unknown>(d: Float64Array, e: Float64Array, m: number, opts: DivideConquerOptions<B> = {}): Promise<TridiagonalEigen<B>> {
  const leaf = Math.max(2, opts.leafSize ?? 32);
  // M of every host merge lives in one buffer sized for the largest: merges run one at a time, and a
  // fresh 100+ MB array per merge costs page faults and garbage collections. The children's vector
  // matrices are dead once merged; later merges of the same size reuse them.
  const hostM = largestHostMerge(m, leaf, opts.device);
  const threads = opts.secularThreads ?? secularThreads();
  const work: Work<B> = {
    size: m,
    scratch: new Float64Array(hostM * hostM),
    pool: new Map(),
    timings: opts.timings,
    descending: !!opts.descending,
    topProduct: opts.topProduct,
    device: opts.device,
    threads,
    minK: opts.secularMinK ?? SECULAR_THREADS_MIN_K,
    merges: opts.merges,
  };
  const { values, vectors, columns, buffer } = await solve(d.slice(0, m), e.slice(0, Math.max(m - 1, 0)), m, leaf, work, opts.signal, true);
  return buffer === undefined ? { values, vectors, columns } : { values, vectors, columns, buffer };
}

interface Work<B> {
  /** The whole solve's size. */
  size: number;
  /** M of the current host merge. */
  scratch: Float64Array;
  /** M of the current device merge (float32; sized for the top merge on first use). */
  scratch32?: Float32Array;
  /** Free m×m matrices by length. */
  pool: Map<number, Float64Array[]>;
  timings: Timings;
  descending: boolean;
  topProduct?: DivideConquerOptions['topProduct'];
  device?: DeviceMerges<B>;
  /** The secular equation's threads and their cutoff. */
  threads: number;
  minK: number;
  /**
   * Shared memory for a threaded merge's k×k delta and U, grown to the largest k so far (one more k²
   * array while the solve runs, only when threads are used: at most m², less where merges deflate).
   */
  sharedDelta?: Float64Array;
  /** delta and U of a serial secular solve in a device merge (a host merge uses its output matrix). */
  delta?: Float64Array;
  merges?: MergeRecord[];
}

/** A subproblem's eigenpairs; a device result also carries its vectors' first and last rows (not for the top). */
type Solved<B> = TridiagonalEigen<B> & { first?: Float64Array; last?: Float64Array };

/** A matrix of `len` elements, reused or fresh; its contents are arbitrary. */
function take(work: Work<unknown>, len: number): Float64Array {
  return work.pool.get(len)?.pop() ?? new Float64Array(len);
}

function release(work: Work<unknown>, x: Float64Array): void {
  const list = work.pool.get(x.length);
  if (list) list.push(x);
  else work.pool.set(x.length, [x]);
}

/** A merged child's vectors are dead: back to the pool, or freed on the device. */
function discard<B>(work: Work<B>, s: Solved<B>): void {
  if (s.buffer !== undefined) work.device!.free(s.buffer);
  else release(work, s.vectors);
}

const firstRow = (s: Solved<unknown>, n: number): Float64Array => s.first ?? s.vectors.subarray(0, n);
const lastRow = (s: Solved<unknown>, n: number): Float64Array => s.last ?? s.vectors.subarray((n - 1) * n, n * n);

async function solve<B>(d: Float64Array, e: Float64Array, m: number, leaf: number, work: Work<B>, signal: AbortSignal | undefined, top: boolean): Promise<Solved<B>> {
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
  const left = await solve(d1, e.subarray(0, n1 - 1), n1, leaf, work, signal, false);
  let right: Solved<B>;
  try {
    right = await solve(d2, e.subarray(n1), m - n1, leaf, work, signal, false);
  } catch (err) {
    discard(work, left);
    throw err;
  }
  try {
    return await merge(left, right, n1, m - n1, rho, beta < 0 ? -1 : 1, work, top);
  } finally {
    discard(work, left);
    discard(work, right);
  }
}

/**
 * Eigen-decomposition of diag(Q1, Q2)·(diag(λ1, λ2) + ρ·z·zᵀ)·diag(Q1, Q2)ᵀ with z = [last row of
 * Q1, sign·first row of Q2] — the tridiagonal whose halves the children solved.
 */
async function merge<B>(left: Solved<B>, right: Solved<B>, n1: number, n2: number, rho: number, sign: number, work: Work<B>, top: boolean): Promise<Solved<B>> {
  const m = n1 + n2;
  const descending = top && work.descending;
  const device = onDevice(work.device, m, top) ? work.device : undefined;
  const basis = mergeBasis({ values: left.values, columns: left.columns, row: lastRow(left, n1) }, { values: right.values, columns: right.columns, row: firstRow(right, n2) }, n1, n2, rho, sign);
  const { D, Z, deflated, rotations } = basis;
  if (work.merges) {
    let k = 0;
    for (let c = 0; c < m; c++) if (!deflated[c]) k++;
    work.merges.push({ m, n1, n2, k, rotations: rotations.length, top, uncoupled: rotations.length === 0 && deflated.every((x) => x === 1) });
  }

  // Nothing couples the halves: the merged vectors are diag(Q1, Q2) itself, no product needed.
  const values = new Float64Array(m);
  const columns = new Int32Array(m);
  const vectors = device ? undefined : take(work, m * m);
  if (vectors && !descending && rotations.length === 0 && deflated.every((x) => x === 1)) {
    vectors.fill(0);
    for (let r = 0; r < n1; r++) vectors.set(left.vectors.subarray(r * n1, (r + 1) * n1), r * m);
    for (let r = 0; r < n2; r++) vectors.set(right.vectors.subarray(r * n2, (r + 1) * n2), (n1 + r) * m + n1);
    sortPairs(D, basis.src, values, columns);
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
  // or in shared memory when the secular equation runs on several threads. A device that builds M itself
  // needs no U: the solve stops at ẑ (with each root's origin and offset).
  const deviceM = !!device?.matrix;
  const t0 = performance.now();
  let roots: SecularRoots;
  let U: Float64Array | undefined;
  let zhat: Float64Array | undefined;
  if (work.threads > 1 && k >= work.minK) {
    if (!work.sharedDelta || work.sharedDelta.length < k * k) work.sharedDelta = sharedFloat64(k * k);
    const r = await threadedSecular(dk, zk, k, basis.rho, work.sharedDelta, work.threads, !deviceM, work.timings);
    roots = { lambda: r.lambda, delta: work.sharedDelta.subarray(0, k * k), origin: r.origin, tau: r.tau };
    if (deviceM) zhat = r.zhat;
    else U = r.U;
  } else {
    roots = solveSecular(dk, zk, k, basis.rho, vectors ?? deltaScratch(work, k));
    if (deviceM) zhat = secularZhat(dk, zk, k, roots);
    else U = secularVectors(dk, zk, k, roots);
    addSince(work.timings, 'tridiagonalSolve.secular.serial', t0);
  }
  const { lambda } = roots;
  addSince(work.timings, 'tridiagonalSolve.secular', t0);

  // Eigenpair j: the k roots in order, then the deflated basis columns; stored in column place[j]
  // (j itself, or its rank from the top when descending).
  const outValue = new Float64Array(m);
  for (let i = 0; i < k; i++) outValue[i] = lambda[i];
  for (let c = 0, j = k; c < m; c++) if (deflated[c]) outValue[j++] = D[c];
  const order = Int32Array.from({ length: m }, (_, j) => j).sort((x, y) => outValue[x] - outValue[y]);
  const place = Int32Array.from({ length: m }, (_, j) => j);
  if (descending) for (let r = 0; r < m; r++) place[order[r]] = m - 1 - r;
  for (let r = 0; r < m; r++) {
    values[r] = outValue[order[r]];
    columns[r] = place[order[r]];
  }
  const t1 = performance.now();
  if (device) {
    // M built on the device from O(m) numbers when they fit its formulas, else on the host (U computed now).
    const spec = zhat && mergeSpec(m, basis, keep, dk, zhat, roots.origin, roots.tau, place);
    let built: B | undefined;
    if (spec) built = await device.matrix!(spec);
    else {
      const Uh = U ?? secularVectors(dk, zk, k, roots);
      fillMergeMatrix((work.scratch32 ??= new Float32Array(work.size * work.size)).subarray(0, m * m), m, basis, keep, Uh, place, descending);
    }
    addSince(work.timings, 'tridiagonalSolve.buildM', t1);
    const M = built ?? work.scratch32!.subarray(0, m * m);
    return { ...(await deviceProduct(left, right, n1, n2, M, work, device, top)), values, columns };
  }
  const M: MergeMatrix = work.scratch.subarray(0, m * m);
  fillMergeMatrix(M, m, basis, keep, U!, place, descending);
  addSince(work.timings, 'tridiagonalSolve.buildM', t1);

  // Top rows = Q1·M[0:n1], bottom rows = Q2·M[n1:], written in place.
  const product = top ? work.topProduct : undefined;
  await timed(work.timings, 'tridiagonalSolve.gemm', async () => {
    if (product) return product(left.vectors, right.vectors, n1, n2, M.subarray(0, n1 * m) as Float64Array, M.subarray(n1 * m) as Float64Array);
    await gemm(left.vectors, M.subarray(0, n1 * m) as Float64Array, n1, n1, m, { out: vectors!.subarray(0, n1 * m) });
    await gemm(right.vectors, M.subarray(n1 * m) as Float64Array, n2, n2, m, { out: vectors!.subarray(n1 * m) });
  });
  if (product) {
    release(work, vectors!);
    return { values, vectors: new Float64Array(0), columns };
  }
  return { values, vectors: vectors!, columns };
}

/** k² float64 for a serial secular solve's delta and U, grown to the largest k so far. */
function deltaScratch(work: Work<unknown>, k: number): Float64Array {
  if (!work.delta || work.delta.length < k * k) work.delta = new Float64Array(k * k);
  return work.delta;
}

/**
 * The device merge's product [Q1·M_top; Q2·M_bottom] into a new device buffer (host children go up for
 * it and are freed after; a host-built M goes up as float32, a device-built one is freed after), and,
 * unless it is the top merge, the merged vectors' first and last rows: row(Q1·M_top) = row(Q1)·M_top,
 * on the host or, for a device-built M, on the device.
 */
async function deviceProduct<B>(
  left: Solved<B>,
  right: Solved<B>,
  n1: number,
  n2: number,
  M: Float32Array | B,
  work: Work<B>,
  device: DeviceMerges<B>,
  top: boolean,
): Promise<{ vectors: Float64Array; buffer: B; first?: Float64Array; last?: Float64Array }> {
  const m = n1 + n2;
  const owned: B[] = [];
  const up = (x: Float64Array | Float32Array): B => {
    const b = device.upload(x);
    owned.push(b);
    return b;
  };
  const onHost = M instanceof Float32Array;
  if (!onHost) owned.push(M);
  try {
    let rows: { first: Float64Array; last: Float64Array } | undefined;
    if (!top) {
      const t = performance.now();
      if (onHost) {
        rows = { first: rowTimes(firstRow(left, n1), M, 0, n1, m), last: rowTimes(lastRow(right, n2), M, n1, n2, m) };
        addSince(work.timings, 'tridiagonalSolve.rows', t);
      } else rows = await timedWait(work.timings, 'tridiagonalSolve.rows', () => device.rows!(M, firstRow(left, n1), lastRow(right, n2), n1, n2));
    }
    const t = performance.now();
    const q1 = left.buffer ?? up(left.vectors);
    const q2 = right.buffer ?? up(right.vectors);
    const mb = onHost ? up(M) : M;
    addSince(work.timings, 'tridiagonalSolve.upload', t);
    const buffer = (await timedWait(work.timings, 'tridiagonalSolve.gemm', () => device.product(q1, q2, mb, n1, n2))) as B;
    return { vectors: new Float64Array(0), buffer, ...rows };
  } finally {
    for (const b of owned) device.free(b);
  }
}

/** values/columns ← (v, col) pairs sorted by v ascending. */
function sortPairs(v: Float64Array, col: Int32Array, values: Float64Array, columns: Int32Array): void {
  const idx = Int32Array.from({ length: v.length }, (_, i) => i).sort((x, y) => v[x] - v[y]);
  for (let j = 0; j < idx.length; j++) {
    values[j] = v[idx[j]];
    columns[j] = col[idx[j]];
  }
}
