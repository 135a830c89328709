// How a session asks for an execution provider. WebGPU sessions of SliceGPT's calibration passes
// ("passes": the resident runner and its device helpers) ask for the 'simple' buffer cache: the default
// 'bucket' cache keeps no buffer larger than its biggest bucket, so every run re-creates the multi-GB
// attention intermediates and the next run waits for the old ones to be torn down — measured on an H100,
// LLaMA-2-7B layer at 128 × 2048 tokens: 23.7 s of block passes with 'bucket', 10.3 s with 'simple'.
// 'simple' caches by exact size and never frees, right for passes that repeat the same shapes, wrong for
// decoding (every KV-cache length is a new size), which keeps ORT's default.
// Caveat: all sessions of a process share one WebGPU context, configured by the first session created.
// SLICE_STUDIO_WEBGPU_CACHE / SLICE_STUDIO_WEBGPU_VALIDATION override the choice (benchmarks).
import type { InferenceSession } from 'onnxruntime-node';
import type { ExecutionProvider } from './contract';

export function executionProviders(ep: ExecutionProvider, o: { passes?: boolean } = {}): InferenceSession.ExecutionProviderConfig[] {
  if (ep !== 'webgpu') return [ep];
  const env = typeof process === 'undefined' ? {} : process.env;
  const cache = env.SLICE_STUDIO_WEBGPU_CACHE ?? (o.passes ? 'simple' : undefined);
  const validation = env.SLICE_STUDIO_WEBGPU_VALIDATION ?? (o.passes ? 'disabled' : undefined);
  if (!cache && !validation) return [ep];
  return [{ name: 'webgpu', ...(cache ? { storageBufferCacheMode: cache } : {}), ...(validation ? { validationMode: validation } : {}) } as InferenceSession.ExecutionProviderConfig];
}
