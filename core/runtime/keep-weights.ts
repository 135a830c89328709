// Whether a layer-major walk (forward.ts: perplexity; eval/loglikelihood.ts: zero-shot scoring) keeps every layer's
// weights between its groups of windows or documents, instead of reading, preparing and uploading each layer again
// for every group (#14: weights uploaded once and kept).
//
// Measured at LLaMA-2-7B on the H100 (session 14, bench/results/eval-speed-7b-h100-session14.json): a walk spent
// ~2.5–2.7 s a layer, nearly all of it the layer's host preparation and upload, so a 64-document chunk of a task cost
// ~80 s whatever its compute; with the weights kept, only the first group pays it.
//
// A resident runner's device copies are keyed by their host arrays (resident-weights.ts), so keeping the uploads
// keeps the host arrays too: kept only where the runner is resident on a GPU EP (its plan found room for the whole
// model there) and the float32 layers fit in half of the free host memory. Otherwise the walk streams as before.
import { freemem } from 'node:os';
import type { BlockRunner } from './contract';
import type { ModelConfig } from '../model/config-shape';

/** float32 bytes of the decoder layers' matrices, roughly (attention projections and the MLP). */
export function layerBytes(c: Pick<ModelConfig, 'hiddenSize' | 'numHeads' | 'numKvHeads' | 'headDim' | 'intermediateSize' | 'gatedMlp' | 'numLayers'>): number {
  const attn = c.hiddenSize * (c.numHeads * c.headDim) * 2 + c.hiddenSize * (c.numKvHeads * c.headDim) * 2;
  const mlp = c.hiddenSize * c.intermediateSize * (c.gatedMlp ? 3 : 2);
  return 4 * c.numLayers * (attn + mlp);
}

/** A runner that keeps uploads on a GPU device until releaseUploads() (runner.ts's resident mode). */
function residentOnGpu(runner: BlockRunner): boolean {
  const device = (runner as { device?: { onDevice?: boolean } | null }).device;
  return !!device?.onDevice;
}

/**
 * Whether a walk with `runner` over a model of config `c` keeps its layers between groups: resident on a GPU EP and
 * the float32 layers within half of `free` host bytes (default the free memory now).
 */
export function keepAcrossGroups(runner: BlockRunner, c: Parameters<typeof layerBytes>[0], free = freemem()): boolean {
  return residentOnGpu(runner) && layerBytes(c) <= free / 2;
}
