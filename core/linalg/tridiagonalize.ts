// Blocked Householder reduction of a symmetric matrix to tridiagonal form, A = Q·T·Qᵀ (LAPACK
// dsytrd/dlatrd, lower variant). Each panel of `nb` columns is factored against the panel-start
// trailing matrix while the pending rank-2 updates are kept in V, W; the trailing matrix is then
// updated at once, A22 − V·Wᵀ − W·Vᵀ, by one ORT Gemm. The trailing matrix is kept contiguous (each
// Gemm returns a fresh, smaller one), so the matrix–vector product of every column is one ORT call
// on contiguous memory with no copy.
import { gemm } from './matmul';

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

/** Reduces the symmetric n×n row-major `a` (both triangles stored) to tridiagonal form; `a` is overwritten. */
export async function tridiagonalize(a: Float64Array, n: number, opts: TridiagonalizeOptions = {}): Promise<Tridiagonal> {
  const nb = Math.max(1, opts.blockSize ?? 64);
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const panels: ReflectorPanel[] = [];
  let A = a;
  let g = 0;
  while (g < n) {
    opts.signal?.throwIfAborted();
    const m = n - g;
    // The last panel takes every remaining column, so no tiny trailing Gemm is ever needed.
    const last = m <= nb + 1;
    const cols = last ? m : nb;
    const count = Math.min(cols, m - 1);
    const V = new Float64Array(m * Math.max(count, 1));
    const W = new Float64Array(m * Math.max(count, 1));
    const tau = new Float64Array(count);
    const stride = Math.max(count, 1);
    const vpad = new Float64Array(m);
    const wv = new Float64Array(count);
    const vv = new Float64Array(count);
    for (let i = 0; i < cols; i++) {
      // 1. Bring column i (rows i..m−1) up to date with the panel's earlier reflectors.
      if (i > 0) {
        const vi = i * stride;
        for (let r = i; r < m; r++) {
          const ro = r * stride;
          let s = 0;
          for (let c = 0; c < i; c++) s += V[ro + c] * W[vi + c] + W[ro + c] * V[vi + c];
          A[r * m + i] -= s;
        }
      }
      d[g + i] = A[i * m + i];
      if (i >= count) break;
      // 2. Householder reflector annihilating A[i+2:, i].
      const alpha = A[(i + 1) * m + i];
      let xnorm2 = 0;
      for (let r = i + 2; r < m; r++) xnorm2 += A[r * m + i] ** 2;
      V[(i + 1) * stride + i] = 1;
      if (xnorm2 === 0) {
        tau[i] = 0;
        e[g + i] = alpha;
      } else {
        const beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xnorm2);
        tau[i] = (beta - alpha) / beta;
        const scale = 1 / (alpha - beta);
        for (let r = i + 2; r < m; r++) V[r * stride + i] = A[r * m + i] * scale;
        e[g + i] = beta;
      }
      const t = tau[i];
      if (t === 0) continue; // W column stays zero: H_i = I.
      // 3. w = τ·(A22·v − V·(Wᵀv) − W·(Vᵀv)), then w += −½τ(wᵀv)·v  (rows i+1..m−1).
      vpad.fill(0);
      for (let r = i + 1; r < m; r++) vpad[r] = V[r * stride + i];
      const y = await gemm(A, vpad, m, m, 1);
      for (let c = 0; c < i; c++) {
        let sw = 0;
        let sv = 0;
        for (let r = i + 1; r < m; r++) {
          sw += W[r * stride + c] * vpad[r];
          sv += V[r * stride + c] * vpad[r];
        }
        wv[c] = sw;
        vv[c] = sv;
      }
      let wdotv = 0;
      for (let r = i + 1; r < m; r++) {
        const ro = r * stride;
        let s = y[r];
        for (let c = 0; c < i; c++) s -= V[ro + c] * wv[c] + W[ro + c] * vv[c];
        s *= t;
        W[ro + i] = s;
        wdotv += s * vpad[r];
      }
      const alpha2 = -0.5 * t * wdotv;
      for (let r = i + 1; r < m; r++) W[r * stride + i] += alpha2 * vpad[r];
    }
    panels.push({ start: g, count, v: V, tau });
    if (last) break;
    // Trailing update: A22 ← A22 − [V W]·[W V]ᵀ over rows/cols nb..m−1.
    const r2 = m - nb;
    const c22 = new Float64Array(r2 * r2);
    for (let r = 0; r < r2; r++) c22.set(A.subarray((r + nb) * m + nb, (r + nb + 1) * m), r * r2);
    const left = new Float64Array(r2 * 2 * nb);
    const right = new Float64Array(r2 * 2 * nb);
    for (let r = 0; r < r2; r++) {
      const src = (r + nb) * stride;
      left.set(V.subarray(src, src + nb), r * 2 * nb);
      left.set(W.subarray(src, src + nb), r * 2 * nb + nb);
      right.set(W.subarray(src, src + nb), r * 2 * nb);
      right.set(V.subarray(src, src + nb), r * 2 * nb + nb);
    }
    A = await gemm(left, right, r2, 2 * nb, r2, { transB: true, alpha: -1, c: c22, beta: 1 });
    g += nb;
  }
  return { n, d, e, panels };
}
