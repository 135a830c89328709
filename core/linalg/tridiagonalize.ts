// Blocked Householder reduction of a symmetric matrix to tridiagonal form, A = Q·T·Qᵀ (LAPACK
// dsytrd/dlatrd, lower variant). Each panel of `nb` columns is factored against the panel-start
// trailing matrix while the pending rank-2 updates are kept in V, W; the trailing matrix is then
// updated at once, A22 − V·Wᵀ − W·Vᵀ, by one ORT Gemm. The trailing matrix is kept contiguous at the
// front of the input buffer (the Gemm writes the smaller matrix there), so the matrix–vector product
// of every column is one ORT call on contiguous memory with no copy. That product streams the whole
// trailing matrix once per column (n³/3 doubles read in total) and dominates the run time, as the
// symmetric matrix–vector product does in LAPACK's dsytrd.
//
// Per column there is exactly one ORT call (PANEL_COLUMN) and no transposed matrix–vector product
// (ORT's transA GEMV is ~8× slower than the plain one): [V W]ᵀ is kept pre-transposed as WVt. Every
// JS loop is over contiguous memory except the O(m) scatter into VW: column i of the panel-start
// trailing matrix is read as its row i (the matrix is symmetric), so no strided walk through a
// matrix of 100+ MB ever happens (each such walk is thousands of cache and TLB misses).
import type { GraphSpec } from './gemm-graph';
import { gemm, runGraph } from './matmul';
import { timed, type Timings } from './timing';

/** The reflectors of one panel: H_i = I − tau[i]·v_i·v_iᵀ, global index start + i. */
export interface ReflectorPanel {
  /** Global row/column of the panel's first column. */
  start: number;
  /** Number of reflectors in the panel. */
  count: number;
  /**
   * count × (n − start) row-major, i.e. Vᵀ: row i is v_i in local rows, zero up to i, 1 at i+1.
   * Stored transposed because every product with it (VᵀZ, VᵀV) then needs no transposition.
   */
  vt: Float64Array;
  tau: Float64Array;
}

export interface Tridiagonal {
  n: number;
  /** Diagonal, length n. */
  d: Float64Array;
  /** Off-diagonal, length max(n − 1, 0): e[i] couples rows i and i+1. */
  e: Float64Array;
  /** Q = H_0·H_1·…·H_{n−2}, grouped by panel in order. */
  panels: ReflectorPanel[];
}

export interface TridiagonalizeOptions {
  /**
   * Panel width (default 128). Wider panels mean fewer trailing updates, and each one's result (the
   * whole trailing matrix) is copied by onnxruntime-node into a fresh JS buffer — ~0.5 s per GB,
   * single-threaded, on any machine; narrower panels mean less [V W] traffic per column. 128 halves
   * the copies of 64 (2.9 → 1.5 GB at n = 4096) for ~10% more per-column traffic.
   */
  blockSize?: number;
  /** Checked between panels. */
  signal?: AbortSignal;
  /** Accumulates seconds in the per-column ORT calls and in the trailing updates. */
  timings?: Timings;
}

/**
 * One ORT call per panel column i (R = m − i − 1 rows below it):
 *   av = A_sub·v,  p = [W V]ᵀ·v          column i's product with the panel-start trailing matrix
 *   PU = [V W]·[p q],  q = [W V] row i+1  one pass over [V W] for two vectors: column 0 is the
 *                                         pending-update correction of av (y = av − PU[:, 0], in JS),
 *                                         column 1 the pending update of column i+1 except the pair
 *                                         (v_i, w_i), which is not known yet and is added in JS (O(R)).
 * A_sub = rows i+1.. of the panel-start trailing matrix, v zero-padded to its full width.
 */
const PANEL_COLUMN: GraphSpec = {
  dtype: 'float64',
  inputs: [
    { name: 'A', dims: ['R', 'M'] },
    { name: 'v', dims: ['M', 'one'] },
    { name: 'WVt', dims: ['K2', 'M'] },
    { name: 'VW', dims: ['R', 'K2'] },
    { name: 'q', dims: ['K2', 'one'] },
  ],
  outputs: [
    { name: 'av', dims: ['R', 'one'] },
    { name: 'PU', dims: ['R', 'two'] },
  ],
  nodes: [
    { op: 'MatMul', inputs: ['A', 'v'], output: 'av' },
    { op: 'MatMul', inputs: ['WVt', 'v'], output: 'p' },
    { op: 'Concat', inputs: ['p', 'q'], output: 'pq', attrs: { axis: 1 } },
    { op: 'MatMul', inputs: ['VW', 'pq'], output: 'PU' },
  ],
  hot: true,
};

/** Reduces the symmetric n×n row-major `a` (both triangles stored) to tridiagonal form; `a` is overwritten. */
export async function tridiagonalize(a: Float64Array, n: number, opts: TridiagonalizeOptions = {}): Promise<Tridiagonal> {
  const nb = Math.max(1, opts.blockSize ?? 128);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const panels: ReflectorPanel[] = [];
  // Work buffers sized for the first panel and reused by every later one (smaller views of them).
  const K2max = 2 * Math.max(1, Math.min(nb, n));
  const VWbuf = new Float64Array(n * K2max);
  const WVtbuf = new Float64Array(n * K2max);
  const vpad = new Float64Array(n);
  const col = new Float64Array(n);
  const ybuf = new Float64Array(n);
  const pubuf = new Float64Array(2 * n);
  const q = new Float64Array(K2max);
  const Bbuf = new Float64Array(n * K2max);
  // The trailing matrix always lives at the front of `a`; c22 is the Gemm's C input (it must not
  // overlap the output), reused at every panel.
  let A = a;
  let c22buf: Float64Array | null = null;
  let g = 0;
  while (g < n) {
    opts.signal?.throwIfAborted();
    const m = n - g;
    // The last panel takes every remaining column, so no tiny trailing Gemm is ever needed.
    const last = m <= nb + 1;
    const cols = last ? m : nb;
    const count = Math.min(cols, m - 1);
    const kw = Math.max(count, 1);
    const k2 = 2 * kw;
    // VW = [V W] (m × k2) and WVt = [W V]ᵀ (k2 × m), row-major, with the pairs interleaved: VW's
    // columns are v_0, w_0, v_1, w_1, … and WVt's rows w_0, v_0, w_1, v_1, … (so v_j and w_j share a
    // cache line in each row of VW). Pairs not computed yet are zero.
    const VW = VWbuf.subarray(0, m * k2);
    const WVt = WVtbuf.subarray(0, k2 * m);
    VW.fill(0);
    WVt.fill(0);
    q.fill(0);
    const tau = new Float64Array(count);
    // Column 0 of the trailing matrix, rows 0.. (= its row 0: A is symmetric, no update pending).
    col.set(A.subarray(0, m));
    for (let i = 0; i < cols; i++) {
      // Invariant: col[0..m−i) is column i, rows i..m−1, with every pending update applied.
      d[g + i] = col[0];
      if (i >= count) break;
      // Householder reflector annihilating A[i+2:, i].
      const R = m - i - 1;
      const alpha = col[1];
      let xnorm2 = 0;
      for (let r = 2; r <= R; r++) xnorm2 += col[r] * col[r];
      vpad.fill(0, 0, m);
      const vs = vpad.subarray(i + 1, m);
      vs[0] = 1;
      let t = 0;
      if (xnorm2 === 0) e[g + i] = alpha;
      else {
        const beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xnorm2);
        t = (beta - alpha) / beta;
        const scale = 1 / (alpha - beta);
        for (let r = 1; r < R; r++) vs[r] = col[r + 1] * scale;
        e[g + i] = beta;
      }
      tau[i] = t;
      // q = [W V] row i+1 over the pairs before i (the products below involve no pair ≥ i, so v_i
      // and w_i are stored after the call, together).
      const row = VW.subarray((i + 1) * k2, (i + 2) * k2);
      for (let j = 0; j < 2 * i; j += 2) {
        q[j] = row[j + 1];
        q[j + 1] = row[j];
      }
      const y = ybuf.subarray(0, R);
      const pu = pubuf.subarray(0, 2 * R);
      await timed(opts.timings, 'tridiagonalize.columnCalls', () => runGraph(
        PANEL_COLUMN,
        {
          A: [A.subarray((i + 1) * m, m * m), R, m],
          v: [vpad.subarray(0, m), m, 1],
          WVt: [WVt, k2, m],
          VW: [VW.subarray((i + 1) * k2), R, k2],
          q: [q.subarray(0, k2), k2, 1],
        },
        { av: [y, R, 1], PU: [pu, R, 2] },
      ));
      // y = av − PU[:, 0]; w = τ·y − ½τ²(yᵀv)·v  (rows i+1..m−1); H_i = I when τ = 0: w stays zero.
      let ydotv = 0;
      for (let r = 0; r < R; r++) {
        y[r] -= pu[2 * r];
        ydotv += y[r] * vs[r];
      }
      const alpha2 = -0.5 * t * t * ydotv;
      const w = y; // overwritten in place
      for (let r = 0; r < R; r++) w[r] = t * y[r] + alpha2 * vs[r];
      WVt.set(w, 2 * i * m + i + 1);
      WVt.set(vs, (2 * i + 1) * m + i + 1);
      for (let r = 0, o = (i + 1) * k2 + 2 * i; r < R; r++, o += k2) {
        VW[o] = vs[r];
        VW[o + 1] = w[r];
      }
      // Column i+1, rows i+1..: its panel-start values (row i+1) minus the pending updates.
      if (i + 1 < cols) {
        const arow = A.subarray((i + 1) * m + i + 1, (i + 2) * m);
        const w0 = w[0];
        for (let r = 0; r < R; r++) col[r] = arow[r] - pu[2 * r + 1] - (vs[r] * w0 + w[r]);
      }
    }
    // Vᵀ (count × m) for the back-transformation: the odd rows of WVt.
    const vt = new Float64Array(count * m);
    for (let j = 0; j < count; j++) vt.set(WVt.subarray((2 * j + 1) * m, (2 * j + 2) * m), j * m);
    panels.push({ start: g, count, vt, tau });
    if (last) break;
    // Trailing update: A22 ← A22 − [V W]·[W V]ᵀ over rows/cols nb..m−1 (row slices are contiguous).
    const r2 = m - nb;
    const t0 = performance.now();
    c22buf ??= new Float64Array(r2 * r2);
    const c22 = c22buf.subarray(0, r2 * r2);
    for (let r = 0; r < r2; r++) c22.set(A.subarray((r + nb) * m + nb, (r + nb + 1) * m), r * r2);
    const B = Bbuf.subarray(0, k2 * r2); // [W V]ᵀ columns nb.., compact (k2 × r2)
    for (let k = 0; k < k2; k++) B.set(WVt.subarray(k * m + nb, (k + 1) * m), k * r2);
    if (opts.timings) opts.timings['tridiagonalize.trailingCopy'] = (opts.timings['tridiagonalize.trailingCopy'] ?? 0) + (performance.now() - t0) / 1000;
    A = await timed(opts.timings, 'tridiagonalize.trailingGemm', () =>
      gemm(VW.subarray(nb * k2), B, r2, k2, r2, { alpha: -1, c: c22, beta: 1, out: a.subarray(0, r2 * r2) }),
    );
    g += nb;
  }
  return { n, d, e, panels };
}
