// Whether a layer-major walk (forward.ts: perplexity; eval/loglikelihood.ts: zero-shot scoring) keeps every layer's
// weights between its groups of windows or documents, instead of reading, preparing and uploading each layer again
// for every group (#14: weights uploaded once and kept).
//
// Measured at LLaMA-2-7B on the H100 (session 14, bench/results/eval-speed-7b-h100-session14.json): a walk spent
// ~2.5–2.7 s a layer, nearly all of it the layer's host preparation and upload, so a 64-document chunk of a task cost
// ~80 s whatever its compute; with the weights kept, only the first group pays it.
//
// Kept on the device only: once a layer has run, the walk swaps its weights for a copy whose uploaded matrices hold
// untouched placeholder arrays (runner.ts detachHost: the device copies move to them), so the host values — 26 GB of
// float32 at 7B — go, and the walk's RAM stays about one layer. Kept where the runner is resident on a GPU EP (its
// plan found room for the whole model there) and can detach; otherwise the walk streams as before.
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

/** Whether a walk with `runner` keeps its layers on the device between groups (see the header). */
export function keepAcrossGroups(runner: BlockRunner): boolean {
  return residentOnGpu(runner) && typeof runner.detachHost === 'function';
}
