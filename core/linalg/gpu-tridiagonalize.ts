// Blocked Householder tridiagonalization (dsytrd/dlatrd, lower) with the matrix on the device in float32:
// the same algorithm as tridiagonalize.ts, with the O(n³) work where the matrix lives. Per column there is
// one ORT run (gpu-graphs.ts 'column'): the panel-start trailing matrix A times [v, e_{i+1}] minus the
// panel's pending rank-2 updates [V W]·[W V]ᵀ, which also appends the previous column's (v, w) pair to
// the device's [V W] and [W V]. Only the two result columns (2m floats) come back; the reflector itself
// and w are formed on the host in float64 from them (O(m) each) and go up as the next run's small inputs.
// Per panel one more run ('trailing') applies A22 − [V W]·[W V]ᵀ as a device GEMM and returns the next
// panel's first column and VᵀV (for the back-transformation's compact-WY T); [V W] stays on the device.
import { timed, type Timings } from '../base/laps';
import { free, host, type GpuLinalg, type Tensor } from './gpu-graphs';

export interface GpuPanel {
  start: number;
  /** Reflectors in the panel (≤ nb); their vectors are columns 0..count−1 of vw. */
  count: number;
  tau: Float64Array;
  /** (n − start) × 2nb on the device: [V W] of the panel (local rows; v_i is zero above row i+1). */
  vw: Tensor;
  /** VᵀV (nb × nb) of the panel's V, for its compact-WY factor. */
  vtv: Float32Array;
}

export interface GpuTridiagonal {
  n: number;
  nb: number;
  d: Float64Array;
  e: Float64Array;
  panels: GpuPanel[];
}

export interface GpuTridiagonalizeOptions {
  blockSize: number;
  signal?: AbortSignal;
  timings?: Timings;
}

/**
 * Reduces the symmetric n×n float32 device matrix `a` (consumed: freed) to tridiagonal form. `row0` is
 * its first row (= first column) on the host.
 */
export async function tridiagonalizeGpu(g: GpuLinalg, a: Tensor, row0: Float32Array, n: number, o: GpuTridiagonalizeOptions): Promise<GpuTridiagonal> {
  const nb = o.blockSize;
  const K2 = 2 * nb;
  const d = new Float64Array(n);
  const e = new Float64Array(Math.max(n - 1, 0));
  const panels: GpuPanel[] = [];
  const col = new Float64Array(n);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  const x = new Float32Array(2 * n);
  const pair = new Float32Array(2 * n);
  const S1 = new Float32Array(2 * K2);
  const S2 = new Float32Array(2 * K2);
  let A = a;
  let VW = await g.upload(new Float32Array(n * K2), n, K2);
  let WV = VW;
  for (let r = 0; r < n; r++) col[r] = row0[r];
  // The pending pair (v_j, w_j) goes into [V W] column j and [W V] column nb + j (and vice versa).
  const setPair = (j: number, m: number) => {
    S1.fill(0);
    S2.fill(0);
    if (j < 0) {
      pair.fill(0, 0, 2 * m);
      return;
    }
    for (let r = 0; r < m; r++) {
      pair[2 * r] = v[r];
      pair[2 * r + 1] = w[r];
    }
    S1[j] = 1;
    S1[K2 + nb + j] = 1;
    S2[nb + j] = 1;
    S2[K2 + j] = 1;
  };
  const release = (t: Tensor) => {
    if (t !== A) free(t);
  };
  let start = 0;
  for (;;) {
    o.signal?.throwIfAborted();
    const m = n - start;
    const last = m <= nb + 1;
    const cols = last ? m : nb;
    const count = Math.min(cols, m - 1);
    const tau = new Float64Array(nb);
    for (let i = 0; i < cols; i++) {
      // col[i..m) is column i (local rows) with every pending update applied.
      d[start + i] = col[i];
      if (i >= count) break;
      const alpha = col[i + 1];
      let xnorm2 = 0;
      for (let r = i + 2; r < m; r++) xnorm2 += col[r] * col[r];
      // v_i (zero above local row i+1) and τ_i from the previous v's buffer, which the pair below still needs.
      setPair(i - 1, m);
      v.fill(0, 0, m);
      v[i + 1] = 1;
      let t = 0;
      if (xnorm2 === 0) e[start + i] = alpha;
      else {
        const beta = -Math.sign(alpha || 1) * Math.sqrt(alpha * alpha + xnorm2);
        t = (beta - alpha) / beta;
        const scale = 1 / (alpha - beta);
        for (let r = i + 2; r < m; r++) v[r] = col[r] * scale;
        e[start + i] = beta;
      }
      tau[i] = t;
      x.fill(0, 0, 2 * m);
      for (let r = i + 1; r < m; r++) x[2 * r] = v[r];
      x[2 * (i + 1) + 1] = 1;
      const out = await timed(o.timings, 'tridiagonalize.columnCalls', () =>
        g.run('column', {
          A,
          VW,
          WV,
          pair: host(pair.subarray(0, 2 * m), [m, 2]),
          S1: host(S1, [2, K2]),
          S2: host(S2, [2, K2]),
          x: host(x.subarray(0, 2 * m), [m, 2]),
        }),
      );
      release(VW);
      if (WV !== VW) release(WV);
      VW = out.VWo;
      WV = out.WVo;
      const Y = out.Y.data as Float32Array;
      // w = τ·y − ½τ²(yᵀv)·v on rows i+1.. (zero above: the update touches the trailing rows only).
      let ydotv = 0;
      for (let r = i + 1; r < m; r++) ydotv += Y[2 * r] * v[r];
      const a2 = -0.5 * t * t * ydotv;
      w.fill(0, 0, i + 1);
      for (let r = i + 1; r < m; r++) w[r] = t * Y[2 * r] + a2 * v[r];
      // Column i+1: A·e_{i+1} less the updates of pairs < i (on the device) and of pair i (here).
      const wi = w[i + 1];
      for (let r = i + 1; r < m; r++) col[r] = Y[2 * r + 1] - (v[r] * wi + w[r]);
    }
    setPair(count - 1, m);
    if (last) {
      const out = await timed(o.timings, 'tridiagonalize.trailing', () => g.run(`final${nb}`, { VW, pair: host(pair.subarray(0, 2 * m), [m, 2]), S1: host(S1, [2, K2]) }));
      release(VW);
      if (WV !== VW) release(WV);
      panels.push({ start, count, tau, vw: out.VWo, vtv: out.S.data as Float32Array });
      free(A);
      break;
    }
    const out = await timed(o.timings, 'tridiagonalize.trailing', () => g.run(`trailing${nb}`, { A, VW, WV, pair: host(pair.subarray(0, 2 * m), [m, 2]), S1: host(S1, [2, K2]), S2: host(S2, [2, K2]) }));
    release(VW);
    if (WV !== VW) release(WV);
    free(A);
    A = out.A2;
    panels.push({ start, count, tau, vw: out.VWo, vtv: out.S.data as Float32Array });
    VW = WV = out.zeros;
    const next = out.row0.data as Float32Array;
    for (let r = 0; r < m - nb; r++) col[r] = next[r];
    start += nb;
  }
  return { n, nb, d, e, panels };
}
