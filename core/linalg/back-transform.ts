// Back-transformation by the tridiagonalization's reflectors: Z ← Q·Z with Q = H_0·…·H_{n−2}
// (LAPACK dormtr). Consecutive panels are merged into blocks of about 256 reflectors and each block
// is applied at once in compact-WY form, H_0…H_{k−1} = I − V·T·Vᵀ (dlarft): one ORT call computing
// Z − V·(T·(Vᵀ·Z)). Wide blocks keep the Gemms efficient and rewrite Z fewer times.
import type { GraphSpec } from './gemm-graph';
import { gemm, runGraph } from './matmul';
import type { ReflectorPanel, Tridiagonal } from './tridiagonalize';

/** T (k×k upper triangular, row-major) with H_0…H_{k−1} = I − V·T·Vᵀ, from S = VᵀV (k×k). */
export function compactWY(s: Float64Array, k: number, tau: Float64Array): Float64Array {
  const T = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    const t = tau[i];
    T[i * k + i] = t;
    if (t === 0) continue;
    // T[0:i, i] = −τ_i · T[0:i, 0:i] · S[0:i, i]
    for (let r = 0; r < i; r++) {
      let acc = 0;
      for (let c = r; c < i; c++) acc += T[r * k + c] * s[c * k + i];
      T[r * k + i] = -t * acc;
    }
  }
  return T;
}

const APPLY_BLOCK: GraphSpec = {
  dtype: 'float64',
  inputs: [
    { name: 'V', dims: ['R', 'K'] },
    { name: 'T', dims: ['K', 'K'] },
    { name: 'Z', dims: ['R', 'C'] },
  ],
  outputs: [{ name: 'Y', dims: ['R', 'C'] }],
  nodes: [
    { op: 'Gemm', inputs: ['V', 'Z'], output: 'X', attrs: { transA: 1 } },
    { op: 'MatMul', inputs: ['T', 'X'], output: 'TX' },
    { op: 'Gemm', inputs: ['V', 'TX', 'Z'], output: 'Y', attrs: { alpha: { f: -1 }, beta: { f: 1 } } },
  ],
};

/** Merges consecutive panels into one block: V in the first panel's local rows 1.., all columns. */
function mergePanels(group: ReflectorPanel[], n: number): { start: number; k: number; v: Float64Array; tau: Float64Array } {
  const start = group[0].start;
  const rows = n - start - 1;
  const k = group.reduce((s, p) => s + p.count, 0);
  const v = new Float64Array(rows * k);
  const tau = new Float64Array(k);
  let col = 0;
  for (const p of group) {
    const shift = p.start - start; // panel-local row r is block row r + shift − 1
    const pr = n - p.start;
    for (let r = 1; r < pr; r++) {
      const src = r * p.count;
      v.set(p.v.subarray(src, src + p.count), (r + shift - 1) * k + col);
    }
    tau.set(p.tau, col);
    col += p.count;
  }
  return { start, k, v, tau };
}

/** Overwrites z (n×cols row-major) with Q·z. */
export async function applyQ(t: Tridiagonal, z: Float64Array, cols: number, opts: { blockSize?: number; signal?: AbortSignal } = {}): Promise<void> {
  const target = Math.max(1, opts.blockSize ?? 256);
  const groups: ReflectorPanel[][] = [];
  for (const p of t.panels) {
    if (p.count === 0) continue;
    const last = groups[groups.length - 1];
    if (last && last.reduce((s, q) => s + q.count, 0) + p.count <= target) last.push(p);
    else groups.push([p]);
  }
  // Q·Z = B_0·(B_1·(…·(B_last·Z))): the last block first.
  for (let g = groups.length - 1; g >= 0; g--) {
    opts.signal?.throwIfAborted();
    const { start, k, v, tau } = mergePanels(groups[g], t.n);
    const rows = t.n - start - 1;
    const T = compactWY(await gemm(v, v, k, rows, k, { transA: true }), k, tau);
    const off = (start + 1) * cols;
    const { Y } = await runGraph(APPLY_BLOCK, { V: [v, rows, k], T: [T, k, k], Z: [z.subarray(off, off + rows * cols), rows, cols] });
    z.set(Y, off);
  }
}
