// The page side of wgsl-eigh.test.ts: the WGSL eigensolver on the browser's WebGPU (Chromium's SwiftShader
// here, float32 like a GPU), one device for the page (pipelines compile once).
import { deviceFrom } from '../../../core/linalg/wgsl-device';
import { eighWgsl } from '../../../core/linalg/wgsl-eigh';
import type { GpuEntry } from '../../../core/linalg/wgsl-types';

const gpu = (navigator as unknown as { gpu?: GpuEntry }).gpu;
const device = gpu ? deviceFrom(gpu) : Promise.resolve({ unavailable: 'navigator.gpu is missing' });

Object.assign(globalThis, {
  eighWgsl: async (a: number[], n: number, deviceMergeMin?: number) => {
    const dev = await device;
    if ('unavailable' in dev) return { unavailable: dev.unavailable };
    try {
      const timings: Record<string, number> = {};
      const r = await eighWgsl(Float64Array.from(a), n, dev.device, { deviceMergeMin, timings });
      return { values: [...r.values], vectors: [...r.vectors], adapter: dev.adapter, timings };
    } catch (e) {
      return { error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
    }
  },
});
