// Activations that stay on the GPU through a layer-major walk (forward.ts: perplexity; eval/loglikelihood.ts:
// zero-shot scoring), as the slice's device engine keeps them (#14).
//
// A resident runner's block runs leave their outputs on the device, but the walks took each output to the host
// (runner.attention/mlp/parallel download it) and fed it back up to the next block: at LLaMA-2-7B, 8192 tokens of
// float32 activations are 134 MB each way per layer, ~0.3 s at ORT WebGPU's ~1 GB/s — with the layers kept
// (keep-weights.ts) that transfer is most of what an evaluation chunk costs. Here the embedding, every block and
// the block-to-block hand-off stay on the device; only the last layer's output comes down, for the head.
import type ort from 'onnxruntime-node';
import type { BlockRunner } from './contract';
import { releaseTensor, type DeviceTensors } from './device';
import type { AttentionWeights, EmbeddingWeights, LayerWeights, MlpWeights, ParallelWeights } from '../model/weights';

/** The resident runner's device-side block runs (runner.ts OrtBlockRunner). */
export interface DeviceWalker {
  readonly device: DeviceTensors;
  embedTensor(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number): Promise<ort.Tensor>;
  attentionTensor(w: AttentionWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor>;
  mlpTensor(w: MlpWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor>;
  parallelTensor(w: ParallelWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor>;
}

/**
 * The runner as a device walker when its activations can stay on a GPU (resident mode on a GPU EP), else null.
 * `force` also takes a resident runner on the CPU EP (which runs the same code path: tests).
 */
export function deviceWalker(runner: BlockRunner, force = false): DeviceWalker | null {
  const r = runner as Partial<Omit<DeviceWalker, 'device'>> & { device?: DeviceTensors | null };
  if (!r.device || typeof r.embedTensor !== 'function' || typeof r.attentionTensor !== 'function') return null;
  return r.device.onDevice || force ? (r as DeviceWalker) : null;
}

/** One decoder layer on device activations `x` ([batch, seq, D]); `x` stays the caller's (released by it). */
export async function layerOnDevice(r: DeviceWalker, w: LayerWeights, x: ort.Tensor, batch: number, seq: number): Promise<ort.Tensor> {
  if (w.kind === 'parallel') return r.parallelTensor(w.block, x, batch, seq);
  const mid = await r.attentionTensor(w.attn, x, batch, seq);
  try {
    return await r.mlpTensor(w.mlp, mid, batch, seq);
  } finally {
    releaseTensor(mid);
  }
}

/** Device activations on the host as float32 (widened from float16), the device copy released. */
export async function toHost(r: DeviceWalker, x: ort.Tensor): Promise<Float32Array> {
  try {
    return await r.device.download(x);
  } finally {
    releaseTensor(x);
  }
}
