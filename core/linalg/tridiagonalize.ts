// Blocked Householder reduction of a symmetric matrix to tridiagonal form, A = Q·T·Qᵀ (LAPACK
// dsytrd/dlatrd, lower variant). Each panel of `nb` columns is factored against the panel-start
// trailing matrix while the pending rank-2 updates are kept in V, W; the trailing matrix is then
// updated at once, A22 − V·Wᵀ − W·Vᵀ, by one ORT Gemm. The trailing matrix is kept contiguous at the
// front of the input buffer (the Gemm writes the smaller matrix there), so the matrix–vector product
// of every column is one ORT call on contiguous memory with no copy. That product streams the whole
// trailing matrix once per column (n³/3 doubles read in total) and dominates the run time, as the
// symmetric matrix–vector product does in LAPACK's dsytrd.
import type { GraphSpec } from './gemm-graph';
import { gemm, runGraph } from './matmul';

/** The reflectors of one panel: H_i = I − tau[i]·v_i·v_iᵀ, global index start + i. */
export interface ReflectorPanel {
  /** Global row/column of the panel's first column. */
  start: number;
  /** Number of reflectors (columns) in the panel. */
  count: number;
  /** (n − start) × count row-major; column i is v_i in local rows: zero above row i+1, 1 at row i+1. */
  v: Float64Array;
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
  /** Panel width (default 64). */
  blockSize?: number;
  /** Checked between panels. */
  signal?: AbortSignal;
}

/**
 * y = A_sub·v − [W V]·([V W]ᵀ·v_short): column i's product with the panel-start trailing matrix,
 * corrected for the panel's pending reflectors, in one ORT call (A_sub = rows i+1.. of A).
 */
const PANEL_COLUMN: GraphSpec = {
  dtype: 'float64',
  inputs: [
    { name: 'A', dims: ['R', 'M'] },
    { name: 'v', dims: ['M', 'one'] },
    { name: 'VW', dims: ['R', 'K2'] },
    { name: 'WV', dims: ['R', 'K2'] },
    { name: 'vs', dims: ['R', 'one'] },
  ],
  outputs: [{ name: 'y', dims: ['R', 'one'] }],
  nodes: [
    { op: 'MatMul', inputs: ['A', 'v'], output: 'av' },
    { op: 'Gemm', inputs: ['VW', 'vs'], output: 'p', attrs: { transA: 1 } },
    { op: 'Gemm', inputs: ['WV', 'p', 'av'], output: 'y', attrs: { alpha: { f: -1 }, beta: { f: 1 } } },
  ],
};

/** Reduces the symmetric n×n row-major `a` (both triangles stored) to tridiagonal form; `a` is overwritten. */
export async function tridiagonalize(a: Float64Array, n: number, opts: TridiagonalizeOptions = {}): Promise<Tridiagonal> {
  const nb = Math.max(1, opts.blockSize ?? 64);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const panels: ReflectorPanel[] = [];
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
    // VW = [V W] and WV = [W V], m × 2kw row-major: the rank-2k update in both orders, so that every
    // product below is a plain Gemm on contiguous rows. Entries of columns ≥ i are still zero.
    const VW = new Float64Array(m * k2);
    const WV = new Float64Array(m * k2);
    const tau = new Float64Array(count);
    const vpad = new Float64Array(m);
    for (let i = 0; i < cols; i++) {
      // 1. Bring column i (rows i..m−1) up to date: A[i:, i] −= V[i:]·W[i]ᵀ + W[i:]·V[i]ᵀ.
      if (i > 0) {
        const u = await gemm(VW.subarray(i * k2), WV.subarray(i * k2, (i + 1) * k2), m - i, k2, 1);
        for (let r = i; r < m; r++) A[r * m + i] -= u[r - i];
      }
      d[g + i] = A[i * m + i];
      if (i >= count) break;
      // 2. Householder reflector annihilating A[i+2:, i].
      const alpha = A[(i + 1) * m + i];
      let xnorm2 = 0;
      for (let r = i + 2; r < m; r++) xnorm2 += A[r * m + i] ** 2;
      vpad.fill(0);
      vpad[i + 1] = 1;
      if (xnorm2 === 0) {
        tau[i] = 0;
        e[g + i] = alpha;
      } else {
        const beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xnorm2);
        tau[i] = (beta - alpha) / beta;
        const scale = 1 / (alpha - beta);
        for (let r = i + 2; r < m; r++) vpad[r] = A[r * m + i] * scale;
        e[g + i] = beta;
      }
      for (let r = i + 1; r < m; r++) {
        VW[r * k2 + i] = vpad[r];
        WV[r * k2 + kw + i] = vpad[r];
      }
      const t = tau[i];
      if (t === 0) continue; // W column stays zero: H_i = I.
      // 3. w = τ·(A22·v − V·(Wᵀv) − W·(Vᵀv)), then w += −½τ(wᵀv)·v  (rows i+1..m−1).
      const R = m - i - 1;
      const vs = vpad.subarray(i + 1);
      const { y } = await runGraph(PANEL_COLUMN, {
        A: [A.subarray((i + 1) * m), R, m],
        v: [vpad, m, 1],
        VW: [VW.subarray((i + 1) * k2), R, k2],
        WV: [WV.subarray((i + 1) * k2), R, k2],
        vs: [vs, R, 1],
      });
      let wdotv = 0;
      for (let r = 0; r < R; r++) {
        y[r] *= t;
        wdotv += y[r] * vs[r];
      }
      const alpha2 = -0.5 * t * wdotv;
      for (let r = 0; r < R; r++) {
        const w = y[r] + alpha2 * vs[r];
        const ro = (r + i + 1) * k2;
        VW[ro + kw + i] = w;
        WV[ro + i] = w;
      }
    }
    // Compact V (m × count) for the back-transformation.
    const V = new Float64Array(m * kw);
    for (let r = 0; r < m; r++) V.set(VW.subarray(r * k2, r * k2 + kw), r * kw);
    panels.push({ start: g, count, v: V, tau });
    if (last) break;
    // Trailing update: A22 ← A22 − [V W]·[W V]ᵀ over rows/cols nb..m−1.
    const r2 = m - nb;
    c22buf ??= new Float64Array(r2 * r2);
    const c22 = c22buf.subarray(0, r2 * r2);
    for (let r = 0; r < r2; r++) c22.set(A.subarray((r + nb) * m + nb, (r + nb + 1) * m), r * r2);
    A = await gemm(VW.subarray(nb * k2), WV.subarray(nb * k2), r2, k2, r2, { transB: true, alpha: -1, c: c22, beta: 1, out: a.subarray(0, r2 * r2) });
    g += nb;
  }
  return { n, d, e, panels };
}
