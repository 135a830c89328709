// A merge's M built on a WebGPU device from its spec (merge-spec.ts; kernels in wgsl-merge-shaders.ts):
// O(m) numbers go up instead of m² floats, and the merged vectors' first and last rows are read from
// that M there (2m floats come down). The pipelines are compiled once per device context.
import type { MergeSpec } from './merge-spec';
import type { WgslLinalg } from './wgsl-context';
import { MERGE_FILL, MERGE_NORMS, MERGE_ROTATE, MERGE_ROWS } from './wgsl-merge-shaders';
import { BufferUsage, ShaderStage, type GpuBindGroupLayout, type GpuBuffer, type GpuComputePipeline } from './wgsl-types';

/** The most workgroups in one dispatch dimension (WebGPU's default limit). */
const MAX_GROUPS = 65535;

class MergeKernels {
  readonly layout: GpuBindGroupLayout;
  readonly norms: GpuComputePipeline;
  readonly fill: GpuComputePipeline;
  readonly rotate: GpuComputePipeline;
  readonly rows: GpuComputePipeline;

  constructor(readonly g: WgslLinalg) {
    const { device } = g;
    const storage = (binding: number, type: 'storage' | 'read-only-storage' = 'storage') => ({ binding, visibility: ShaderStage.COMPUTE, buffer: { type } });
    this.layout = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform', minBindingSize: 32 } }, storage(1, 'read-only-storage'), storage(2), storage(3), storage(4)] });
    const pipe = (code: string, entryPoint: string) =>
      device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [this.layout] }), compute: { module: device.createShaderModule({ code, label: `merge-${entryPoint}` }), entryPoint } });
    this.norms = pipe(MERGE_NORMS, 'norms');
    this.fill = pipe(MERGE_FILL, 'fill');
    this.rotate = pipe(MERGE_ROTATE, 'rotate');
    this.rows = pipe(MERGE_ROWS, 'rows');
  }

  /** Runs `passes` (pipeline, workgroups x, y) over one bind group; resolves when the device is done. */
  async run(params: ArrayBuffer, data: Uint32Array, inv: GpuBuffer, M: GpuBuffer, out: GpuBuffer, passes: [GpuComputePipeline, number, number][]): Promise<void> {
    const { device } = this.g;
    const buffers: GpuBuffer[] = [];
    const make = (bytes: number, usage: number) => {
      const b = device.createBuffer({ size: Math.max(16, Math.ceil(bytes / 4) * 4), usage });
      buffers.push(b);
      return b;
    };
    try {
      const u = make(32, BufferUsage.UNIFORM | BufferUsage.COPY_DST);
      device.queue.writeBuffer(u, 0, params);
      const d = make(data.byteLength, BufferUsage.STORAGE | BufferUsage.COPY_DST);
      device.queue.writeBuffer(d, 0, data);
      const group = device.createBindGroup({
        layout: this.layout,
        entries: [u, d, inv, M, out].map((buffer, binding) => ({ binding, resource: { buffer } })),
      });
      const enc = device.createCommandEncoder();
      const pass = enc.beginComputePass();
      for (const [pipe, x, y] of passes) {
        pass.setPipeline(pipe);
        pass.setBindGroup(0, group);
        pass.dispatchWorkgroups(x, y);
      }
      pass.end();
      device.queue.submit([enc.finish()]);
      await device.queue.onSubmittedWorkDone();
    } finally {
      for (const b of buffers) b.destroy();
    }
  }
}

const kernels = new WeakMap<WgslLinalg, MergeKernels>();

function kernelsFor(g: WgslLinalg): MergeKernels {
  let k = kernels.get(g);
  if (!k) kernels.set(g, (k = new MergeKernels(g)));
  return k;
}

function params(m: number, k: number, R: number, n1: number, unit: number): ArrayBuffer {
  const buf = new ArrayBuffer(32);
  new Uint32Array(buf).set([m, k, R, n1]);
  new Float32Array(buf).set([2 ** (unit + 64), 2 ** (unit + 32), 2 ** unit], 4);
  return buf;
}

/** M (m×m row-major, float32) of the merge described by `spec`, in a new device buffer. */
export async function buildMergeMatrix(g: WgslLinalg, spec: MergeSpec): Promise<GpuBuffer> {
  const { m, k } = spec;
  const R = spec.rotRows.length / 2;
  if (m > MAX_GROUPS) throw new RangeError(`merge of ${m} is too large to build on the device (at most ${MAX_GROUPS} rows)`);
  const data = new Uint32Array(2 * m + 6 * k + 4 * R);
  data.set(spec.role, 0);
  data.set(spec.pair, m);
  data.set(spec.words, 2 * m);
  data.set(new Uint32Array(spec.zhat.buffer, spec.zhat.byteOffset, k), 2 * m + 3 * k);
  data.set(spec.origin, 2 * m + 4 * k);
  data.set(new Uint32Array(spec.tau.buffer, spec.tau.byteOffset, k), 2 * m + 5 * k);
  data.set(spec.rotRows, 2 * m + 6 * k);
  data.set(new Uint32Array(spec.rotCs.buffer, spec.rotCs.byteOffset, 2 * R), 2 * m + 6 * k + 2 * R);
  const M = g.buffer(m * m, 'M');
  const inv = g.buffer(k);
  const dummy = g.buffer(4);
  try {
    const K = kernelsFor(g);
    const cols = Math.ceil(m / 256);
    const passes: [GpuComputePipeline, number, number][] = [];
    if (k > 0) passes.push([K.norms, Math.min(k, MAX_GROUPS), Math.ceil(k / MAX_GROUPS)]);
    passes.push([K.fill, cols, m]);
    if (R > 0) passes.push([K.rotate, cols, 1]);
    await K.run(params(m, k, R, 0, spec.unit), data, inv, M, dummy, passes);
    return M;
  } catch (err) {
    M.destroy();
    throw err;
  } finally {
    inv.destroy();
    dummy.destroy();
  }
}

/** [x1·M[0:n1], x2·M[n1:]] of a device M (m = n1 + n2), in float32 sums brought down as float64. */
export async function mergeMatrixRows(g: WgslLinalg, M: GpuBuffer, x1: Float64Array, x2: Float64Array, n1: number, n2: number): Promise<{ first: Float64Array; last: Float64Array }> {
  const m = n1 + n2;
  const x = new Float32Array(m);
  x.set(x1.subarray(0, n1));
  x.set(x2.subarray(0, n2), n1);
  const out = g.buffer(2 * m);
  const dummy = g.buffer(4);
  try {
    const K = kernelsFor(g);
    await K.run(params(m, 0, 0, n1, 0), new Uint32Array(x.buffer), dummy, M, out, [[K.rows, Math.ceil(m / 256), 1]]);
    const r = await g.download(out, 2 * m);
    return { first: Float64Array.from(r.subarray(0, m)), last: Float64Array.from(r.subarray(m)) };
  } finally {
    out.destroy();
    dummy.destroy();
  }
}
