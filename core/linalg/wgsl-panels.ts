// The blocked tridiagonalization's command stream (LAPACK dsytrd/dlatrd on the device; the shaders and
// their buffers are described in wgsl-panel-shaders.ts): per column house, dots (after a panel's first
// column) and matvec; after each panel but the last, w of its last column and one GEMM for the trailing
// update A ← A − [V_p; W_p]ᵀ·[W_p; V_p]. All parameters are written once up front: column k's in
// uniform slot k, the panel ends' w-only house in slots n.., the GEMMs' in their own arena.
import { SLOT, gemmParams, type ColumnSteps, type GemmCall, type WgslLinalg } from './wgsl-context';
import { WG } from './wgsl-shaders';
import { BufferUsage, type GpuBuffer, type GpuComputePass } from './wgsl-types';

/** The column steps of the blocked reduction of `a` (n×n, overwritten) in panels of nb columns. */
export function panelSteps(g: WgslLinalg, a: GpuBuffer, V: GpuBuffer, tri: GpuBuffer, n: number, nb: number): ColumnSteps {
  const dev = g.device;
  // Panels that end before column n − 1 get a trailing update.
  const updates: number[] = [];
  for (let c1 = nb; c1 < n; c1 += nb) updates.push(c1);
  const p = g.buffer(n, 'p');
  const U = g.buffer(3 * nb * n, 'U');
  const S = g.buffer(n + 2 * nb, 'S');
  const params = dev.createBuffer({ size: (n + updates.length) * SLOT, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  const calls: GemmCall[] = updates.map((c1) => ({
    a: U,
    b: U,
    c: a,
    M: n - c1,
    N: n - c1,
    K: 2 * nb,
    aOff: c1,
    aRs: 1,
    aCs: n,
    bOff: nb * n + c1,
    bRs: n,
    bCs: 1,
    cOff: c1 * n + c1,
    cRs: n,
    alpha: -1,
    beta: 1,
  }));
  const gemmArena = dev.createBuffer({ size: Math.max(1, calls.length) * SLOT, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
  const slots = new Uint32Array(((n + updates.length) * SLOT) / 4);
  const slot = (s: number, k: number, c0: number, wOnly: number) => slots.set([k, n, c0, nb, wOnly], (s * SLOT) / 4);
  for (let k = 0; k < n; k++) slot(k, k, k - (k % nb), 0);
  updates.forEach((c1, q) => slot(n + q, c1, c1 - nb, 1));
  dev.queue.writeBuffer(params, 0, slots.buffer, 0, slots.byteLength);
  if (calls.length > 0) dev.queue.writeBuffer(gemmArena, 0, gemmParams(calls));
  const group = dev.createBindGroup({
    layout: g.panelLayout,
    entries: [
      { binding: 0, resource: { buffer: params, size: 32 } },
      { binding: 1, resource: { buffer: a } },
      { binding: 2, resource: { buffer: V } },
      { binding: 3, resource: { buffer: p } },
      { binding: 4, resource: { buffer: U } },
      { binding: 5, resource: { buffer: tri } },
      { binding: 6, resource: { buffer: S } },
    ],
  });
  return {
    encode(pass: GpuComputePass, k: number) {
      const i = k % nb;
      const offset = [k * SLOT];
      pass.setPipeline(g.panelHouse);
      pass.setBindGroup(0, group, offset);
      pass.dispatchWorkgroups(1);
      if (k + 1 >= n) return;
      if (i > 0) {
        pass.setPipeline(g.panelDots);
        pass.setBindGroup(0, group, offset);
        pass.dispatchWorkgroups(2 * i);
      }
      const rows = n - k - 1;
      const last = i + 1 === nb;
      pass.setPipeline(g.panelMatvec);
      pass.setBindGroup(0, group, offset);
      pass.dispatchWorkgroups(rows + (last ? 0 : Math.ceil(rows / WG)));
      if (last) {
        const q = (k + 1) / nb - 1;
        pass.setPipeline(g.panelHouse);
        pass.setBindGroup(0, group, [(n + q) * SLOT]);
        pass.dispatchWorkgroups(1);
        g.encodeGemms(pass, gemmArena, [calls[q]], q);
      }
    },
    destroy() {
      for (const b of [p, U, S, params, gemmArena]) b.destroy();
    },
  };
}
