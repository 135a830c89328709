// Back-transformation by the tridiagonalization's reflectors: Z ← Q·Z with Q = H_0·…·H_{n−2}
// (LAPACK dormtr). Each panel's reflectors are applied at once in compact-WY form,
// H_0…H_{k−1} = I − V·T·Vᵀ (dlarft), as three ORT Gemm calls.
import { gemm } from './matmul';
import type { ReflectorPanel, Tridiagonal } from './tridiagonalize';

/** T (k×k upper triangular, row-major) with H_0…H_{k−1} = I − V·T·Vᵀ; V is rows×k row-major. */
export function compactWY(v: Float64Array, rows: number, k: number, tau: Float64Array): Float64Array {
  const T = new Float64Array(k * k);
  const tmp = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const t = tau[i];
    T[i * k + i] = t;
    if (i === 0 || t === 0) continue;
    // tmp = −τ_i · V[:, 0:i]ᵀ · v_i, then T[0:i, i] = T[0:i, 0:i] · tmp.
    tmp.fill(0, 0, i);
    for (let r = 0; r < rows; r++) {
      const vi = v[r * k + i];
      if (vi === 0) continue;
      const ro = r * k;
      for (let c = 0; c < i; c++) tmp[c] += v[ro + c] * vi;
    }
    for (let c = 0; c < i; c++) tmp[c] *= -t;
    for (let r = 0; r < i; r++) {
      let s = 0;
      for (let c = r; c < i; c++) s += T[r * k + c] * tmp[c];
      T[r * k + i] = s;
    }
  }
  return T;
}

async function applyPanel(p: ReflectorPanel, n: number, z: Float64Array, cols: number): Promise<void> {
  const k = p.count;
  if (k === 0) return;
  // The vectors live in local rows 1.. (global start+1..), which is where Z is touched.
  const rows = n - p.start - 1;
  const v = p.v.subarray(k, k + rows * k);
  const T = compactWY(v, rows, k, p.tau);
  const off = (p.start + 1) * cols;
  const zsub = z.subarray(off, off + rows * cols);
  const x = await gemm(v, zsub, k, rows, cols, { transA: true }); // Vᵀ·Z
  const y = await gemm(T, x, k, k, cols); // T·Vᵀ·Z
  z.set(await gemm(v, y, rows, k, cols, { alpha: -1, c: zsub, beta: 1 }), off);
}

/** Overwrites z (n×cols row-major) with Q·z. */
export async function applyQ(t: Tridiagonal, z: Float64Array, cols: number, signal?: AbortSignal): Promise<void> {
  for (let i = t.panels.length - 1; i >= 0; i--) {
    signal?.throwIfAborted();
    await applyPanel(t.panels[i], t.n, z, cols);
  }
}
