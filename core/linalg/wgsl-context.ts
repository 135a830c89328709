// Pipelines, buffers and transfers of the WGSL eigensolver on one WebGPU device, and the GEMM launcher:
// every GEMM's parameters go into one uniform arena per batch (dynamic offsets), so a batch of products
// is one writeBuffer and one command buffer.
import { writeInPieces } from '../hardware/webgpu-write';
import { PANEL_DOTS, PANEL_HOUSE, PANEL_MATVEC } from './wgsl-panel-shaders';
import { FUSED, GEMM, HOUSE } from './wgsl-shaders';
import { BufferUsage, MapMode, ShaderStage, type GpuBindGroupLayout, type GpuBuffer, type GpuComputePass, type GpuComputePipeline, type GpuDevice } from './wgsl-types';

/** Uniform slots are 256 bytes apart (minUniformBufferOffsetAlignment). */
export const SLOT = 256;

/** One GEMM: C = α·op(A)·op(B) + β·C; element (i, l) of A is at aOff + i·aRs + l·aCs (B likewise), C row-major with row stride cRs. */
export interface GemmCall {
  a: GpuBuffer;
  b: GpuBuffer;
  c: GpuBuffer;
  M: number;
  N: number;
  K: number;
  aOff: number;
  aRs: number;
  aCs: number;
  bOff: number;
  bRs: number;
  bCs: number;
  cOff: number;
  cRs: number;
  alpha?: number;
  beta?: number;
}

/** One column's dispatches of a tridiagonalization (wgsl-tridiagonalize, wgsl-panels), recorded into `pass`; destroy frees the steps' own buffers. */
export interface ColumnSteps {
  encode(pass: GpuComputePass, k: number): void;
  destroy(): void;
}

export class WgslLinalg {
  readonly device: GpuDevice;
  readonly house: GpuComputePipeline;
  readonly fused: GpuComputePipeline;
  readonly gemmPipe: GpuComputePipeline;
  /** The blocked tridiagonalization's column shaders (wgsl-panel-shaders.ts). */
  readonly panelHouse: GpuComputePipeline;
  readonly panelDots: GpuComputePipeline;
  readonly panelMatvec: GpuComputePipeline;
  readonly triLayout: GpuBindGroupLayout;
  readonly panelLayout: GpuBindGroupLayout;
  readonly gemmLayout: GpuBindGroupLayout;

  constructor(device: GpuDevice) {
    this.device = device;
    const storage = (binding: number, type: 'storage' | 'read-only-storage' = 'storage') => ({ binding, visibility: ShaderStage.COMPUTE, buffer: { type } });
    const uniform = { binding: 0, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' as const, hasDynamicOffset: true, minBindingSize: 16 } };
    this.triLayout = device.createBindGroupLayout({ entries: [uniform, storage(1), storage(2), storage(3), storage(4), storage(5)] });
    this.panelLayout = device.createBindGroupLayout({ entries: [{ ...uniform, buffer: { ...uniform.buffer, minBindingSize: 32 } }, storage(1), storage(2), storage(3), storage(4), storage(5), storage(6)] });
    this.gemmLayout = device.createBindGroupLayout({ entries: [{ ...uniform, buffer: { ...uniform.buffer, minBindingSize: 64 } }, storage(1, 'read-only-storage'), storage(2, 'read-only-storage'), storage(3)] });
    const pipe = (code: string, entryPoint: string, layout: GpuBindGroupLayout) =>
      device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module: device.createShaderModule({ code, label: entryPoint }), entryPoint } });
    this.house = pipe(HOUSE, 'house', this.triLayout);
    this.fused = pipe(FUSED, 'fused', this.triLayout);
    this.gemmPipe = pipe(GEMM, 'gemm', this.gemmLayout);
    this.panelHouse = pipe(PANEL_HOUSE, 'house', this.panelLayout);
    this.panelDots = pipe(PANEL_DOTS, 'dots', this.panelLayout);
    this.panelMatvec = pipe(PANEL_MATVEC, 'matvec', this.panelLayout);
  }

  buffer(floats: number, label?: string): GpuBuffer {
    // Buffers start zeroed (WebGPU guarantees it).
    return this.device.createBuffer({ size: Math.max(16, align4(floats * 4)), usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label });
  }

  upload(data: Float32Array, label?: string): GpuBuffer {
    const b = this.buffer(data.length, label);
    this.write(b, data);
    return b;
  }

  /** `data` into `b` from float `offsetFloats` on, in writeBuffer pieces of ≤ 64 MiB (writeInPieces). */
  write(b: GpuBuffer, data: Float32Array, offsetFloats = 0): void {
    writeInPieces(this.device.queue, b, data, offsetFloats * 4);
  }

  async download(b: GpuBuffer, floats: number, offsetFloats = 0): Promise<Float32Array> {
    const bytes = align4(floats * 4);
    const staging = this.device.createBuffer({ size: Math.max(16, bytes), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    try {
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(b, offsetFloats * 4, staging, 0, bytes);
      this.device.queue.submit([enc.finish()]);
      await staging.mapAsync(MapMode.READ, 0, bytes);
      const out = new Float32Array(floats);
      out.set(new Float32Array(staging.getMappedRange(0, bytes), 0, floats));
      staging.unmap();
      return out;
    } finally {
      staging.destroy();
    }
  }

  /** Encodes the GEMMs (in order) into `pass`; their parameters must already be in `params` (see gemmParams), from slot `firstSlot` on. */
  encodeGemms(pass: GpuComputePass, params: GpuBuffer, calls: GemmCall[], firstSlot = 0): void {
    pass.setPipeline(this.gemmPipe);
    calls.forEach((c, i) => {
      const group = this.device.createBindGroup({
        layout: this.gemmLayout,
        entries: [
          { binding: 0, resource: { buffer: params, size: 64 } },
          { binding: 1, resource: { buffer: c.a } },
          { binding: 2, resource: { buffer: c.b } },
          { binding: 3, resource: { buffer: c.c } },
        ],
      });
      pass.setBindGroup(0, group, [(firstSlot + i) * SLOT]);
      pass.dispatchWorkgroups(Math.ceil(c.N / 64), Math.ceil(c.M / 64));
    });
  }

  /** Runs the GEMMs in one command buffer (and waits for it when `wait`). */
  async gemms(calls: GemmCall[], wait = false): Promise<void> {
    if (calls.length === 0) return;
    const params = this.device.createBuffer({ size: calls.length * SLOT, usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST });
    this.device.queue.writeBuffer(params, 0, gemmParams(calls));
    const enc = this.device.createCommandEncoder();
    const pass = enc.beginComputePass();
    this.encodeGemms(pass, params, calls);
    pass.end();
    this.device.queue.submit([enc.finish()]);
    if (wait) await this.device.queue.onSubmittedWorkDone();
    // Destroying after submit is allowed: the queue keeps it alive until the work is done.
    params.destroy();
  }

  /** Raises the device's first validation or out-of-memory error of `f`'s work as an exception. */
  async checked<T>(what: string, f: () => Promise<T>): Promise<T> {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    let out: T;
    try {
      out = await f();
    } finally {
      const validation = await this.device.popErrorScope();
      const oom = await this.device.popErrorScope();
      if (oom) throw new WgslOutOfMemoryError(`${what}: the GPU ran out of memory (${oom.message.split('\n')[0]})`);
      if (validation) throw new Error(`${what}: WebGPU validation error: ${validation.message}`);
    }
    return out;
  }
}

/** The GPU has too little memory for the matrix: a user-facing condition (use the CPU solver). */
export class WgslOutOfMemoryError extends Error {
  override name = 'WgslOutOfMemoryError';
}

function align4(bytes: number): number {
  return Math.ceil(bytes / 4) * 4;
}

/** The uniform arena for `calls`: struct G of wgsl-shaders.ts, one per 256-byte slot. */
export function gemmParams(calls: GemmCall[]): ArrayBuffer {
  const buf = new ArrayBuffer(calls.length * SLOT);
  calls.forEach((c, i) => {
    const u = new Uint32Array(buf, i * SLOT, 16);
    const f = new Float32Array(buf, i * SLOT, 16);
    u.set([c.M, c.N, c.K, c.aOff, c.aRs, c.aCs, c.bOff, c.bRs, c.bCs, c.cOff, c.cRs]);
    f[11] = c.alpha ?? 1;
    f[12] = c.beta ?? 0;
  });
  return buf;
}
