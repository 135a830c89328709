// The decoder's compute pipelines, compiled once per decoder, each with its explicit bind-group layout, and
// the dispatch record a decode step is made of (a pipeline, its bind group, its workgroup counts — a
// function of the position where the work grows with the cache).
import { ShaderStage, type GpuBindGroup, type GpuBindGroupLayout, type GpuBuffer, type GpuComputePass, type GpuComputePipeline, type GpuDevice } from '../../hardware/webgpu-types';
import { ATTEND, ROPE, SCORES } from './attention-shader';
import { gemvShader, type GemvShape } from './gemv-shader';
import { NORM } from './norm-shader';
import { ACT, ARGMAX, rowShader } from './small-shaders';

type Binding = 'uniform' | 'read' | 'rw';

export interface Kernel {
  pipeline: GpuComputePipeline;
  layout: GpuBindGroupLayout;
}

export type Workgroups = [number, number, number];

export interface Dispatch {
  kernel: Kernel;
  group: GpuBindGroup;
  size: Workgroups | ((pos: number) => Workgroups);
}

const TYPES = { uniform: 'uniform', read: 'read-only-storage', rw: 'storage' } as const;

function kernel(device: GpuDevice, label: string, code: string, bindings: Binding[]): Kernel {
  const layout = device.createBindGroupLayout({ entries: bindings.map((b, binding) => ({ binding, visibility: ShaderStage.COMPUTE, buffer: { type: TYPES[b] } })) });
  const module = device.createShaderModule({ code, label });
  const pipeline = device.createComputePipeline({ layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }), compute: { module, entryPoint: 'main' } });
  return { pipeline, layout };
}

export class DecodeKernels {
  readonly gemv16: Kernel;
  readonly gemv32: Kernel;
  readonly norm: Kernel;
  readonly rope: Kernel;
  readonly scores: Kernel;
  readonly attend: Kernel;
  readonly row32: Kernel;
  readonly row16: Kernel;
  readonly act: Kernel;
  readonly argmax: Kernel;

  constructor(
    readonly device: GpuDevice,
    readonly gemvShape: GemvShape,
  ) {
    const k = (label: string, code: string, b: Binding[]) => kernel(device, `decode ${label}`, code, b);
    this.gemv16 = k('gemv f16', gemvShader('float16', gemvShape), ['uniform', 'read', 'read', 'read', 'read', 'rw']);
    this.gemv32 = k('gemv f32', gemvShader('float32', gemvShape), ['uniform', 'read', 'read', 'read', 'read', 'rw']);
    this.norm = k('norm', NORM, ['uniform', 'read', 'read', 'read', 'rw']);
    this.rope = k('rope', ROPE, ['uniform', 'uniform', 'read', 'read', 'rw', 'rw', 'rw']);
    this.scores = k('scores', SCORES, ['uniform', 'uniform', 'read', 'read', 'rw']);
    this.attend = k('attend', ATTEND, ['uniform', 'uniform', 'read', 'read', 'rw']);
    this.row32 = k('row f32', rowShader('float32'), ['uniform', 'uniform', 'read', 'rw']);
    this.row16 = k('row f16', rowShader('float16'), ['uniform', 'uniform', 'read', 'rw']);
    this.act = k('act', ACT, ['uniform', 'read', 'rw']);
    this.argmax = k('argmax', ARGMAX, ['uniform', 'read', 'rw']);
  }

  /** A dispatch of `k` with `buffers` bound in order (binding 0, 1, …). */
  dispatch(k: Kernel, buffers: GpuBuffer[], size: Dispatch['size']): Dispatch {
    const group = this.device.createBindGroup({ layout: k.layout, entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })) });
    return { kernel: k, group, size };
  }
}

/** Encodes `program` into one compute pass for the step at `pos`. */
export function encodeProgram(pass: GpuComputePass, program: Dispatch[], pos: number): void {
  for (const d of program) {
    pass.setPipeline(d.kernel.pipeline);
    pass.setBindGroup(0, d.group);
    const [x, y, z] = typeof d.size === 'function' ? d.size(pos) : d.size;
    pass.dispatchWorkgroups(x, y, z);
  }
}
