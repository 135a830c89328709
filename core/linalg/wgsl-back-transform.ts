// Back-transformation V = Q·Z on the device, Q = H_0·H_1·…·H_{n−2} from wgsl-tridiagonalize.ts, in
// compact-WY blocks of B reflectors: H_j0…H_j0+B−1 = I − Yᵀ·T·Y (Y = rows j0.. of the reflector matrix),
// so each block is three GEMMs, Z ← Z − Yᵀ·(T·(Y·Z)), applied last block first. The T factors need the
// blocks' Gram matrices Y·Yᵀ: all of them are one batch of GEMMs and one small download, then T is
// formed in float64 on the host (compactWY, O(B³) per block) and goes up in one write.
import { timedWait, type Timings } from '../base/laps';
import { compactWY } from './back-transform';
import type { GemmCall, WgslLinalg } from './wgsl-context';
import type { WgslTridiagonal } from './wgsl-tridiagonalize';
import type { GpuBuffer } from './wgsl-types';

export const BLOCK = 128;

/** Z (n×n on the device) ← Q·Z in place. */
export async function backTransformWgsl(g: WgslLinalg, tri: WgslTridiagonal, Z: GpuBuffer, opts: { signal?: AbortSignal; timings?: Timings } = {}): Promise<void> {
  const { n, V, tau } = tri;
  const reflectors = n - 1;
  const blocks: { j0: number; b: number }[] = [];
  for (let j0 = 0; j0 < reflectors; j0 += BLOCK) blocks.push({ j0, b: Math.min(BLOCK, reflectors - j0) });
  if (blocks.length === 0) return;
  const B2 = BLOCK * BLOCK;
  const gram = g.buffer(blocks.length * B2, 'gram');
  const T = g.buffer(blocks.length * B2, 'T');
  const W = g.buffer(BLOCK * n, 'W');
  const W2 = g.buffer(BLOCK * n, 'W2');
  try {
    const gramCalls: GemmCall[] = blocks.map(({ j0, b }, p) => ({
      a: V,
      b: V,
      c: gram,
      M: b,
      N: b,
      K: n - j0 - 1,
      aOff: j0 * n + j0 + 1,
      aRs: n,
      aCs: 1,
      bOff: j0 * n + j0 + 1,
      bRs: 1,
      bCs: n,
      cOff: p * B2,
      cRs: BLOCK,
    }));
    await g.gemms(gramCalls);
    const grams = await timedWait(opts.timings, 'backTransform.gram', () => g.download(gram, blocks.length * B2));
    const t32 = new Float32Array(blocks.length * B2);
    blocks.forEach(({ j0, b }, p) => {
      const s = new Float64Array(b * b);
      for (let r = 0; r < b; r++) for (let c = 0; c < b; c++) s[r * b + c] = grams[p * B2 + r * BLOCK + c];
      const t = compactWY(s, b, tau.subarray(j0, j0 + b));
      for (let r = 0; r < b; r++) for (let c = 0; c < b; c++) t32[p * B2 + r * BLOCK + c] = t[r * b + c];
    });
    g.write(T, t32);
    await timedWait(opts.timings, 'backTransform.apply', async () => {
      // A few blocks per command buffer; checked for cancellation between them.
      const PER_SUBMIT = 8;
      let submits = 0;
      for (let q = blocks.length - 1; q >= 0; q -= PER_SUBMIT) {
        opts.signal?.throwIfAborted();
        const calls: GemmCall[] = [];
        for (let p = q; p > q - PER_SUBMIT && p >= 0; p--) {
          const { j0, b } = blocks[p];
          const r0 = j0 + 1;
          const rows = n - r0;
          // W = Y·Z[r0:], W2 = T·W, Z[r0:] −= Yᵀ·W2
          calls.push({ a: V, b: Z, c: W, M: b, N: n, K: rows, aOff: j0 * n + r0, aRs: n, aCs: 1, bOff: r0 * n, bRs: n, bCs: 1, cOff: 0, cRs: n });
          calls.push({ a: T, b: W, c: W2, M: b, N: n, K: b, aOff: p * B2, aRs: BLOCK, aCs: 1, bOff: 0, bRs: n, bCs: 1, cOff: 0, cRs: n });
          calls.push({ a: V, b: W2, c: Z, M: rows, N: n, K: b, aOff: j0 * n + r0, aRs: 1, aCs: n, bOff: 0, bRs: n, bCs: 1, cOff: r0 * n, cRs: n, alpha: -1, beta: 1 });
        }
        // Waiting on every other submit keeps the queue short (prompt cancel) and the GPU busy.
        await g.gemms(calls, q - PER_SUBMIT < 0 || ++submits % 2 === 0);
      }
    });
  } finally {
    gram.destroy();
    T.destroy();
    W.destroy();
    W2.destroy();
  }
}
