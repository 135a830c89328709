// Blocked Householder reduction of a symmetric matrix to tridiagonal form, A = Q·T·Qᵀ (LAPACK
// dsytrd/dlatrd, lower variant). Each panel of `nb` columns is factored against the panel-start
// trailing matrix while the pending rank-2 updates are kept in V, W; the trailing matrix is then
// updated at once, A22 − V·Wᵀ − W·Vᵀ, by one ORT Gemm. The matrix–vector product of every column
// streams the whole trailing matrix (n³/3 doubles read in total) and dominates the run time, as the
// symmetric matrix–vector product does in LAPACK's dsytrd.
//
// Per column there is exactly one ORT call (PANEL_COLUMN) with two multi-threaded products and no
// transposed matrix–vector product (ORT's transA GEMV is ~8× slower than the plain one): [W V]ᵀ is
// kept pre-transposed, and [V W] lives to the right of the trailing matrix's rows, so that one
// product over [A VW] gives both the column's product and the next column's pending update. Every
// JS loop is over contiguous memory except the O(m) scatter into VW: column i of the panel-start
// trailing matrix is read as its row i (the matrix is symmetric), so no strided walk through a
// matrix of 100+ MB ever happens (each such walk is thousands of cache and TLB misses).
import { timed, type Timings } from '../base/laps';
import { availableParallelism } from 'node:os';
import type { GraphSpec } from './gemm-graph';
import { gemm, runGraph } from './matmul';

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

/**
 * 256 for large matrices on many cores, else 128. Measured at n = 4096, tridiagonalization + rest:
 * 16-core H100 host 6.32 s (256) vs 6.77 s (128) vs 7.70 s (64) in total; 2-core dev machine 10.1 s
 * (128) vs 11.3 s (256) for the tridiagonalization. With many cores the per-column products are
 * cheap and the trailing-matrix copies (fewer with wider panels) weigh more.
 */
export function defaultPanelWidth(n: number, cores = availableParallelism()): number {
  return n >= 2048 && cores >= 8 ? 256 : 128;
}

export interface TridiagonalizeOptions {
  /**
   * Panel width (default: defaultPanelWidth). Wider panels mean fewer trailing updates, and each one's
   * result (the whole trailing matrix) is copied by onnxruntime-node into a fresh JS buffer — ~0.5 s per
   * GB on the 2-core dev machine (memcpy + page faults: more cores do not help); narrower panels mean
   * less [V W] traffic per column. 128 halves the copies of 64 (2.9 → 1.5 GB at n = 4096) for ~10% more
   * per-column traffic; the best width depends on the machine (bench: --block-size).
   */
  blockSize?: number;
  /** Checked between panels. */
  signal?: AbortSignal;
  /** Accumulates seconds in the per-column ORT calls and in the trailing updates. */
  timings?: Timings;
}

/**
 * One ORT call per panel column i (R = m − i − 1 rows below it), on the extended trailing matrix
 * [A VW] (rows i+1.., A the panel-start trailing matrix, VW = [V W] of the panel so far):
 *   −p = −[W V]ᵀ·v
 *   YU = [A VW]·[v 0; −p q] = [A·v − [V W]·p,  [V W]·q]
 * Column 0 is y, column i's product with the up-to-date trailing matrix; column 1 is the pending
 * update of column i+1 (q = [W V] row i+1), except the pair (v_i, w_i), not known yet and added in
 * JS (O(R)). Two multi-threaded products per column (the Concats are tiny copies): each parallel op
 * has a fixed cost for waking the pool's threads, which is paid thousands of times.
 */
const PANEL_COLUMN: GraphSpec = {
  dtype: 'float64',
  inputs: [
    { name: 'A', dims: ['R', 'S'] },
    { name: 'v', dims: ['M', 'one'] },
    { name: 'v0', dims: ['M', 'two'] },
    { name: 'WVt', dims: ['K2', 'M'] },
    { name: 'q', dims: ['K2', 'one'] },
  ],
  outputs: [{ name: 'YU', dims: ['R', 'two'] }],
  nodes: [
    { op: 'Gemm', inputs: ['WVt', 'v'], output: 'negp', attrs: { alpha: { f: -1 } } },
    { op: 'Concat', inputs: ['negp', 'q'], output: 'pq', attrs: { axis: 1 } },
    { op: 'Concat', inputs: ['v0', 'pq'], output: 'x', attrs: { axis: 0 } },
    { op: 'MatMul', inputs: ['A', 'x'], output: 'YU' },
  ],
  hot: true,
};

/** The panel starting where the trailing matrix has m rows: columns, reflectors, width of [V W]. */
function panelShape(m: number, nb: number) {
  // The last panel takes every remaining column, so no tiny trailing Gemm is ever needed.
  const last = m <= nb + 1;
  const cols = last ? m : nb;
  const count = Math.min(cols, m - 1);
  const kw = Math.max(count, 1);
  return { last, cols, count, kw, k2: 2 * kw };
}

/** Reduces the symmetric n×n row-major `a` (both triangles stored) to tridiagonal form; `a` is not modified. */
export async function tridiagonalize(a: Float64Array, n: number, opts: TridiagonalizeOptions = {}): Promise<Tridiagonal> {
  const nb = Math.max(1, opts.blockSize ?? defaultPanelWidth(n));
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const panels: ReflectorPanel[] = [];
  if (n === 0) return { n, d, e, panels };
  // X = [A VW]: the trailing matrix (m × m) with the panel's [V W] (m × k2) to the right of each row,
  // row stride S = m + k2, at the front of its buffer. VW's part is zero at every panel start (the
  // trailing Gemm writes zeros there).
  const first = panelShape(n, nb);
  let X = new Float64Array(n * (n + first.k2));
  for (let r = 0; r < n; r++) X.set(a.subarray(r * n, (r + 1) * n), r * (n + first.k2));
  // Work buffers sized for the first panel and reused by every later one (smaller views of them).
  const K2max = first.k2;
  const WVtbuf = new Float64Array(n * K2max);
  const VWc = new Float64Array(n * K2max);
  const Bbuf = new Float64Array(K2max * (n + K2max));
  let Cbuf: Float64Array | null = null;
  const vpad = new Float64Array(n);
  const v0 = new Float64Array(2 * n);
  const col = new Float64Array(n);
  const yu = new Float64Array(2 * n);
  const q = new Float64Array(K2max);
  let g = 0;
  while (g < n) {
    opts.signal?.throwIfAborted();
    const m = n - g;
    const { last, cols, count, kw, k2 } = panelShape(m, nb);
    const S = m + k2;
    // [V W] (in X) and WVt = [W V]ᵀ (k2 × m), with the pairs interleaved: VW's columns are v_0, w_0,
    // v_1, w_1, … and WVt's rows w_0, v_0, w_1, v_1, … (v_j and w_j share a cache line in each row
    // of X). Pairs not computed yet are zero.
    const WVt = WVtbuf.subarray(0, k2 * m);
    WVt.fill(0);
    q.fill(0);
    const tau = new Float64Array(count);
    // Column 0 of the trailing matrix, rows 0.. (= its row 0: A is symmetric, no update pending).
    col.set(X.subarray(0, m));
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
      // v0 = [v 0] (m × 2): its second column stays zero.
      v0.fill(0, 0, 2 * m);
      for (let r = 0; r < R; r++) v0[2 * (r + i + 1)] = vs[r];
      // q = [W V] row i+1 over the pairs before i (the products involve no pair ≥ i, so v_i and w_i
      // are stored after the call, together).
      const row = X.subarray((i + 1) * S + m, (i + 1) * S + S);
      for (let j = 0; j < 2 * i; j += 2) {
        q[j] = row[j + 1];
        q[j + 1] = row[j];
      }
      await timed(opts.timings, 'tridiagonalize.columnCalls', () =>
        runGraph(
          PANEL_COLUMN,
          {
            A: [X.subarray((i + 1) * S, m * S), R, S],
            v: [vpad.subarray(0, m), m, 1],
            v0: [v0.subarray(0, 2 * m), m, 2],
            WVt: [WVt, k2, m],
            q: [q.subarray(0, k2), k2, 1],
          },
          { YU: [yu.subarray(0, 2 * R), R, 2] },
        ),
      );
      // w = τ·y − ½τ²(yᵀv)·v  (rows i+1..m−1); H_i = I when τ = 0, and w stays zero.
      let ydotv = 0;
      for (let r = 0; r < R; r++) ydotv += yu[2 * r] * vs[r];
      const alpha2 = -0.5 * t * t * ydotv;
      const w = col; // column i is done with: w takes its place, then column i+1 (below) takes w's
      for (let r = 0; r < R; r++) w[r] = t * yu[2 * r] + alpha2 * vs[r];
      WVt.set(w.subarray(0, R), 2 * i * m + i + 1);
      WVt.set(vs, (2 * i + 1) * m + i + 1);
      for (let r = 0, o = (i + 1) * S + m + 2 * i; r < R; r++, o += S) {
        X[o] = vs[r];
        X[o + 1] = w[r];
      }
      // Column i+1, rows i+1..: its panel-start values (row i+1) minus the pending updates.
      if (i + 1 < cols) {
        const arow = X.subarray((i + 1) * S + i + 1, (i + 1) * S + m);
        const w0 = w[0];
        for (let r = 0; r < R; r++) col[r] = arow[r] - yu[2 * r + 1] - (vs[r] * w0 + w[r]);
      }
    }
    // Vᵀ (count × m) for the back-transformation: the odd rows of WVt.
    const vt = new Float64Array(count * m);
    for (let j = 0; j < count; j++) vt.set(WVt.subarray((2 * j + 1) * m, (2 * j + 2) * m), j * m);
    panels.push({ start: g, count, vt, tau });
    if (last) break;
    // Trailing update A22 ← A22 − [V W]·[W V]ᵀ over rows/cols nb..m−1, written as the next panel's X:
    // C = [A22 0] and B = [[W V]ᵀ 0] with zero tails as wide as the next panel's [V W].
    const r2 = m - nb;
    const S2 = r2 + panelShape(r2, nb).k2;
    const t0 = performance.now();
    Cbuf ??= new Float64Array(r2 * S2);
    const C = Cbuf.subarray(0, r2 * S2);
    for (let r = 0; r < r2; r++) {
      C.set(X.subarray((r + nb) * S + nb, (r + nb) * S + m), r * S2);
      C.fill(0, r * S2 + r2, (r + 1) * S2);
    }
    const VW = VWc.subarray(0, r2 * k2);
    for (let r = 0; r < r2; r++) VW.set(X.subarray((r + nb) * S + m, (r + nb + 1) * S), r * k2);
    const B = Bbuf.subarray(0, k2 * S2);
    for (let k = 0; k < k2; k++) {
      B.set(WVt.subarray(k * m + nb, (k + 1) * m), k * S2);
      B.fill(0, k * S2 + r2, (k + 1) * S2);
    }
    if (opts.timings) opts.timings['tridiagonalize.trailingCopy'] = (opts.timings['tridiagonalize.trailingCopy'] ?? 0) + (performance.now() - t0) / 1000;
    await timed(opts.timings, 'tridiagonalize.trailingGemm', () => gemm(VW, B, r2, k2, S2, { alpha: -1, c: C, beta: 1, out: X.subarray(0, r2 * S2) }));
    g += nb;
  }
  return { n, d, e, panels };
}
