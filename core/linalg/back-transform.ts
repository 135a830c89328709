// Back-transformation by the tridiagonalization's reflectors: Z ← Q·Z with Q = H_0·…·H_{n−2}
// (LAPACK dormtr). Consecutive panels are merged into blocks of about 256 reflectors and each block
// is applied in compact-WY form, H_0…H_{k−1} = I − V·T·Vᵀ (dlarft): Z − V·(T·(Vᵀ·Z)).
// Both V and Vᵀ are passed so that no product needs a transposed operand, and results go into a
// second n×n buffer, alternating with z (no fresh 100+ MB result and copy-back per block).
// Two blocks are applied per ORT call: onnxruntime-node copies every output into a fresh JS buffer
// (~0.5 s per GB, single-threaded), and the intermediate Z of a pair stays inside ORT. The lower
// block's V is zero-padded up to the upper block's first row, which costs ~6% more flops.
import { timed, type Timings } from '../base/laps';
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

const APPLY_PAIR: GraphSpec = {
  dtype: 'float64',
  inputs: [
    { name: 'V1', dims: ['R', 'K1'] },
    { name: 'V1t', dims: ['K1', 'R'] },
    { name: 'T1', dims: ['K1', 'K1'] },
    { name: 'V2', dims: ['R', 'K2'] },
    { name: 'V2t', dims: ['K2', 'R'] },
    { name: 'T2', dims: ['K2', 'K2'] },
    { name: 'Z', dims: ['R', 'C'] },
  ],
  outputs: [{ name: 'Y', dims: ['R', 'C'] }],
  nodes: [
    // Block 2 (the lower one) first: B1·(B2·Z).
    { op: 'MatMul', inputs: ['V2t', 'Z'], output: 'X2' },
    { op: 'MatMul', inputs: ['T2', 'X2'], output: 'TX2' },
    { op: 'Gemm', inputs: ['V2', 'TX2', 'Z'], output: 'Z1', attrs: { alpha: { f: -1 }, beta: { f: 1 } } },
    { op: 'MatMul', inputs: ['V1t', 'Z1'], output: 'X1' },
    { op: 'MatMul', inputs: ['T1', 'X1'], output: 'TX1' },
    { op: 'Gemm', inputs: ['V1', 'TX1', 'Z1'], output: 'Y', attrs: { alpha: { f: -1 }, beta: { f: 1 } } },
  ],
};

interface Block {
  k: number;
  v: Float64Array;
  vt: Float64Array;
  T: Float64Array;
}

/**
 * Merges consecutive panels into one block over global rows top+1..n−1 (top ≤ the first panel's
 * start; rows above a reflector's support are zero): Vᵀ, V and T.
 */
async function block(group: ReflectorPanel[], n: number, top: number, buf: { v: Float64Array; vt: Float64Array }): Promise<Block> {
  const rows = n - top - 1;
  const k = group.reduce((s, p) => s + p.count, 0);
  // Views of buffers reused from call to call (fresh 10+ MB arrays would each be page-faulted in).
  const vt = buf.vt.subarray(0, k * rows).fill(0);
  const tau = new Float64Array(k);
  let i = 0;
  for (const p of group) {
    const pr = n - p.start; // panel-local row r is block row r + (p.start − top) − 1
    for (let j = 0; j < p.count; j++, i++) vt.set(p.vt.subarray(j * pr + 1, (j + 1) * pr), i * rows + (p.start - top));
    tau.set(p.tau, i - p.count);
  }
  // V = (Vᵀ)ᵀ, transposed in 32×32 tiles so both sides stay in cache.
  const v = buf.v.subarray(0, rows * k);
  for (let r0 = 0; r0 < rows; r0 += 32)
    for (let c0 = 0; c0 < k; c0 += 32) {
      const r1 = Math.min(rows, r0 + 32);
      const c1 = Math.min(k, c0 + 32);
      for (let c = c0; c < c1; c++) for (let r = r0; r < r1; r++) v[r * k + c] = vt[c * rows + r];
    }
  const T = compactWY(await gemm(vt, v, k, rows, k), k, tau);
  return { k, v, vt, T };
}

export interface ApplyQOptions {
  /** Reflectors per block (default 256). */
  blockSize?: number;
  signal?: AbortSignal;
  timings?: Timings;
  /** A free buffer of ≥ n·cols elements to alternate with z (e.g. the tridiagonalization's, now dead). */
  work?: Float64Array;
}

/** Overwrites z (n×cols row-major) with Q·z. */
export async function applyQ(t: Tridiagonal, z: Float64Array, cols: number, opts: ApplyQOptions = {}): Promise<void> {
  const target = Math.max(1, opts.blockSize ?? 256);
  const groups: ReflectorPanel[][] = [];
  for (const p of t.panels) {
    if (p.count === 0) continue;
    const last = groups[groups.length - 1];
    if (last && last.reduce((s, q) => s + q.count, 0) + p.count <= target) last.push(p);
    else groups.push([p]);
  }
  if (groups.length === 0) return;
  // A call rewrites rows top+1.. only, and top decreases from call to call: the rows above are
  // still the input's in both buffers, so each call reads one buffer and writes the other.
  let cur: Float64Array = z;
  let other: Float64Array = opts.work && opts.work.length >= z.length ? opts.work.subarray(0, z.length) : new Float64Array(z.length);
  other.set(z);
  const kmax = Math.max(...groups.map((g) => g.reduce((s, p) => s + p.count, 0)));
  const bufs = [0, 1].map(() => ({ v: new Float64Array(t.n * kmax), vt: new Float64Array(t.n * kmax) }));
  // Q·Z = B_0·(B_1·(…·(B_last·Z))): the last blocks first, two at a time (B_0 alone if odd).
  for (let g = groups.length - 1; g >= 0; g -= 2) {
    opts.signal?.throwIfAborted();
    const pair = g >= 1;
    const top = groups[pair ? g - 1 : g][0].start;
    const rows = t.n - top - 1;
    const off = (top + 1) * cols;
    const len = rows * cols;
    const Z: [Float64Array, number, number] = [cur.subarray(off, off + len), rows, cols];
    const Y: [Float64Array, number, number] = [other.subarray(off, off + len), rows, cols];
    const b2 = await block(groups[g], t.n, top, bufs[0]);
    if (pair) {
      const b1 = await block(groups[g - 1], t.n, top, bufs[1]);
      const feeds: Record<string, [Float64Array, number, number]> = {
        V1: [b1.v, rows, b1.k],
        V1t: [b1.vt, b1.k, rows],
        T1: [b1.T, b1.k, b1.k],
        V2: [b2.v, rows, b2.k],
        V2t: [b2.vt, b2.k, rows],
        T2: [b2.T, b2.k, b2.k],
        Z,
      };
      await timed(opts.timings, 'backTransform.applyCalls', () => runGraph(APPLY_PAIR, feeds, { Y }));
    } else {
      await timed(opts.timings, 'backTransform.applyCalls', () => runGraph(APPLY_BLOCK, { V: [b2.v, rows, b2.k], Vt: [b2.vt, b2.k, rows], T: [b2.T, b2.k, b2.k], Z }, { Y }));
    }
    [cur, other] = [other, cur];
  }
  if (cur !== z) z.set(cur);
}
