// The page side of wgsl-eigh.test.ts: the WGSL eigensolver on the browser's WebGPU (Chromium's SwiftShader
// here, float32 like a GPU), one device for the page (pipelines compile once), and the tridiagonalization
// alone (d, e, τ of a float32 upload of the matrix) for comparing its blocked and unblocked paths.
import { WgslLinalg } from '../../../core/linalg/wgsl-context';
import { deviceFrom } from '../../../core/linalg/wgsl-device';
import { eighWgsl, type WgslEighOptions } from '../../../core/linalg/wgsl-eigh';
import { tridiagonalizeWgsl } from '../../../core/linalg/wgsl-tridiagonalize';
import type { GpuEntry } from '../../../core/linalg/wgsl-types';

const gpu = (navigator as unknown as { gpu?: GpuEntry }).gpu;
const device = gpu ? deviceFrom(gpu) : Promise.resolve({ unavailable: 'navigator.gpu is missing' });
let linalg: WgslLinalg | undefined;

const failure = (e: unknown) => ({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });

Object.assign(globalThis, {
  eighWgsl: async (a: number[], n: number, opts: Pick<WgslEighOptions, 'deviceMergeMin' | 'panel' | 'hostMergeMatrix' | 'float32Vectors'>) => {
    const dev = await device;
    if ('unavailable' in dev) return { unavailable: dev.unavailable };
    try {
      const timings: Record<string, number> = {};
      const r = await eighWgsl(Float64Array.from(a), n, dev.device, { ...opts, timings });
      return { values: [...r.values], vectors: [...r.vectors], float32: r.vectors instanceof Float32Array, adapter: dev.adapter, timings };
    } catch (e) {
      return failure(e);
    }
  },
  tridiagonalWgsl: async (a: number[], n: number, panel: number) => {
    const dev = await device;
    if ('unavailable' in dev) return { unavailable: dev.unavailable };
    try {
      const g = (linalg ??= new WgslLinalg(dev.device));
      const A = g.upload(Float32Array.from(a), 'A');
      try {
        const t = await g.checked('tridiagonalize', () => tridiagonalizeWgsl(g, A, n, { panel }));
        t.V.destroy();
        return { d: [...t.d], e: [...t.e], tau: [...t.tau] };
      } finally {
        A.destroy();
      }
    } catch (e) {
      return failure(e);
    }
  },
});
