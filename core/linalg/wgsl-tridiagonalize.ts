// Householder tridiagonalization on the device: the matrix stays resident, the columns' dispatches are
// recorded into command buffers of CHUNK columns, and nothing comes back to the host until d, e and τ at
// the end. Blocked by default (panels of `panel` columns, wgsl-panels.ts: the trailing matrix is read
// once per column and updated by one GEMM per panel); `panel: 1` is the unblocked path (house/fused of
// wgsl-shaders.ts: read and written per column). Column k's parameters are slot k of a uniform buffer
// selected by dynamic offset, written once up front. Both give the same d, e, τ and V up to float32
// rounding.
import { timed, timedWait, type Timings } from '../base/laps';
import { SLOT, type ColumnSteps, type WgslLinalg } from './wgsl-context';
import { panelSteps } from './wgsl-panels';
import { BufferUsage, type GpuBuffer, type GpuComputePass } from './wgsl-types';

/** Columns per command buffer: large enough to amortize a submit, small enough to cancel promptly. */
const CHUNK = 512;

/** Columns per panel of the blocked reduction unless told (LAPACK dsytrd's default). */
export const DEFAULT_PANEL = 32;
/** The widest panel: the shaders keep one thread per earlier reflector of the panel (≤ 256). */
export const MAX_PANEL = 128;

export interface WgslTridiagonal {
  n: number;
  /** Diagonal, off-diagonal (n − 1) and reflector scalars τ (n − 1 used), from float32. */
  d: Float64Array;
  e: Float64Array;
  tau: Float64Array;
  /** n × n on the device: row k is reflector k's vector (zero up to column k, 1 at column k + 1). */
  V: GpuBuffer;
}

export interface WgslTridiagonalizeOptions {
  signal?: AbortSignal;
  timings?: Timings;
  /** Columns per panel (default DEFAULT_PANEL, at most MAX_PANEL); 1 runs the unblocked fused path. */
  panel?: number;
}

export type { ColumnSteps };

/** Reduces the symmetric n×n device matrix `a` (overwritten; the caller frees it) to tridiagonal form. */
export async function tridiagonalizeWgsl(g: WgslLinalg, a: GpuBuffer, n: number, opts: WgslTridiagonalizeOptions = {}): Promise<WgslTridiagonal> {
  const nb = opts.panel ?? DEFAULT_PANEL;
  if (!Number.isInteger(nb) || nb < 1 || nb > MAX_PANEL) throw new RangeError(`panel must be an integer in 1..${MAX_PANEL}, got ${nb}`);
  const dev = g.device;
  const V = g.buffer(n * n, 'V');
  const tri = g.buffer(3 * n, 'tri');
  let steps: ColumnSteps | undefined;
  try {
    steps = nb > 1 ? panelSteps(g, a, V, tri, n, nb) : unblockedSteps(g, a, V, tri, n);
    const s = steps;
    await timed(opts.timings, 'tridiagonalize.columns', async () => {
      for (let k0 = 0; k0 < n; k0 += CHUNK) {
        opts.signal?.throwIfAborted();
        const enc = dev.createCommandEncoder();
        const pass = enc.beginComputePass();
        for (let k = k0; k < Math.min(n, k0 + CHUNK); k++) s.encode(pass, k);
        pass.end();
        dev.queue.submit([enc.finish()]);
        // Keep at most two chunks queued, so that a cancel takes effect within a chunk or two.
        // (`columns.wait`: the part spent waiting for the device; `.wait.blocked`: the event loop held meanwhile.)
        if (k0 >= CHUNK) await timedWait(opts.timings, 'tridiagonalize.columns.wait', () => dev.queue.onSubmittedWorkDone());
      }
    });
    const t = await timedWait(opts.timings, 'tridiagonalize.download', () => g.download(tri, 3 * n));
    return { n, d: Float64Array.from(t.subarray(0, n)), e: Float64Array.from(t.subarray(n, 2 * n - 1)), tau: Float64Array.from(t.subarray(2 * n, 3 * n - 1)), V };
  } catch (e) {
    V.destroy();
    throw e;
  } finally {
    steps?.destroy();
    tri.destroy();
  }
}

/** LAPACK dsytd2 with column k − 1's rank-2 update fused into column k's product (house, fused). */
function unblockedSteps(g: WgslLinalg, a: GpuBuffer, V: GpuBuffer, tri: GpuBuffer, n: number): ColumnSteps {
  const dev = g.device;
  const p = g.buffer(n, 'p');
  const w = g.buffer(n, 'w');
  const params = dev.createBuffer({ size: n * SLOT, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  const slots = new Uint32Array((n * SLOT) / 4);
  for (let k = 0; k < n; k++) {
    slots[(k * SLOT) / 4] = k;
    slots[(k * SLOT) / 4 + 1] = n;
  }
  dev.queue.writeBuffer(params, 0, slots.buffer, 0, slots.byteLength);
  const group = dev.createBindGroup({
    layout: g.triLayout,
    entries: [
      { binding: 0, resource: { buffer: params, size: 16 } },
      { binding: 1, resource: { buffer: a } },
      { binding: 2, resource: { buffer: V } },
      { binding: 3, resource: { buffer: p } },
      { binding: 4, resource: { buffer: w } },
      { binding: 5, resource: { buffer: tri } },
    ],
  });
  return {
    encode(pass, k) {
      const offset = [k * SLOT];
      pass.setPipeline(g.house);
      pass.setBindGroup(0, group, offset);
      pass.dispatchWorkgroups(1);
      if (k + 1 < n) {
        pass.setPipeline(g.fused);
        pass.setBindGroup(0, group, offset);
        pass.dispatchWorkgroups(n - k - 1);
      }
    },
    destroy() {
      for (const b of [p, w, params]) b.destroy();
    },
  };
}
