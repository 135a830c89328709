// Back-transformation by the tridiagonalization's reflectors: Z ← Q·Z with Q = H_0·…·H_{n−2}
// (LAPACK dormtr). Consecutive panels are merged into blocks of about 256 reflectors and each block
// is applied at once in compact-WY form, H_0…H_{k−1} = I − V·T·Vᵀ (dlarft): one ORT call computing
// Z − V·(T·(Vᵀ·Z)). Wide blocks keep the Gemms efficient and rewrite Z fewer times.
// Both V and Vᵀ are passed so that no product needs a transposed operand, and the result goes into
// a second n×n buffer, alternating with z (no fresh 100+ MB result and copy-back per block).
import type { GraphSpec } from './gemm-graph';
import { gemm, runGraph } from './matmul';
import { timed, type Timings } from './timing';
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
    { name: 'Vt', dims: ['K', 'R'] },
    { name: 'T', dims: ['K', 'K'] },
    { name: 'Z', dims: ['R', 'C'] },
  ],
  outputs: [{ name: 'Y', dims: ['R', 'C'] }],
  nodes: [
    { op: 'MatMul', inputs: ['Vt', 'Z'], output: 'X' },
    { op: 'MatMul', inputs: ['T', 'X'], output: 'TX' },
    { op: 'Gemm', inputs: ['V', 'TX', 'Z'], output: 'Y', attrs: { alpha: { f: -1 }, beta: { f: 1 } } },
  ],
};

/** Merges consecutive panels into one block: Vᵀ and V over the first panel's local rows 1.. */
function mergePanels(group: ReflectorPanel[], n: number): { start: number; k: number; v: Float64Array; vt: Float64Array; tau: Float64Array } {
  const start = group[0].start;
  const rows = n - start - 1;
  const k = group.reduce((s, p) => s + p.count, 0);
  const vt = new Float64Array(k * rows);
  const tau = new Float64Array(k);
  let i = 0;
  for (const p of group) {
    const pr = n - p.start; // panel-local row r is block row r + (p.start − start) − 1
    for (let j = 0; j < p.count; j++, i++) vt.set(p.vt.subarray(j * pr + 1, (j + 1) * pr), i * rows + (p.start - start));
    tau.set(p.tau, i - p.count);
  }
  // V = (Vᵀ)ᵀ, transposed in 32×32 tiles so both sides stay in cache.
  const v = new Float64Array(rows * k);
  for (let r0 = 0; r0 < rows; r0 += 32)
    for (let c0 = 0; c0 < k; c0 += 32) {
      const r1 = Math.min(rows, r0 + 32);
      const c1 = Math.min(k, c0 + 32);
      for (let c = c0; c < c1; c++) for (let r = r0; r < r1; r++) v[r * k + c] = vt[c * rows + r];
    }
  return { start, k, v, vt, tau };
}

/** Overwrites z (n×cols row-major) with Q·z. */
export async function applyQ(t: Tridiagonal, z: Float64Array, cols: number, opts: { blockSize?: number; signal?: AbortSignal; timings?: Timings } = {}): Promise<void> {
  const target = Math.max(1, opts.blockSize ?? 256);
  const groups: ReflectorPanel[][] = [];
  for (const p of t.panels) {
    if (p.count === 0) continue;
    const last = groups[groups.length - 1];
    if (last && last.reduce((s, q) => s + q.count, 0) + p.count <= target) last.push(p);
    else groups.push([p]);
  }
  if (groups.length === 0) return;
  // Block g rewrites rows start_g+1.. only, and start_g decreases as g does: the rows above are
  // still the input's in both buffers, so each block reads one buffer and writes the other.
  let cur: Float64Array = z;
  let other: Float64Array = z.slice();
  // Q·Z = B_0·(B_1·(…·(B_last·Z))): the last block first.
  for (let g = groups.length - 1; g >= 0; g--) {
    opts.signal?.throwIfAborted();
    const { start, k, v, vt, tau } = mergePanels(groups[g], t.n);
    const rows = t.n - start - 1;
    const T = compactWY(await gemm(vt, v, k, rows, k), k, tau);
    const off = (start + 1) * cols;
    const len = rows * cols;
    await timed(opts.timings, 'backTransform.applyCalls', () => runGraph(APPLY_BLOCK, { V: [v, rows, k], Vt: [vt, k, rows], T: [T, k, k], Z: [cur.subarray(off, off + len), rows, cols] }, { Y: [other.subarray(off, off + len), rows, cols] }));
    [cur, other] = [other, cur];
  }
  if (cur !== z) z.set(cur);
}
