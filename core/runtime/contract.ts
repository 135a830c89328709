// The contract between the model runtime and everything that runs models (perplexity, generation,
// SliceGPT, evaluation, benchmarks). Blocks are run one at a time over a batch of activations held
// by the caller, so a job streams the model layer by layer: at most one block's weights are live.
//
// Activations are row-major float32 [batch, seq, width]. Every sequence starts at position 0.
// Right padding needs no mask: with causal attention a valid token never attends to a later pad;
// callers that care (PCA, NLL) drop the padded positions themselves.
import type { AttentionWeights, EmbeddingWeights, HeadWeights, LayerWeights, MlpWeights, ParallelWeights } from '../model/weights';

export type ExecutionProvider = 'cpu' | 'webgpu' | 'cuda' | 'dml' | 'coreml';

export interface HeadOutput {
  /** Per position: −log p(target) (NaN where target < 0), length batch·seq. */
  nll?: Float32Array;
  /** Per position: logsumexp of the logits, length batch·seq. */
  logsumexp?: Float32Array;
  /** Full logits [batch, seq, vocab], only when asked for. */
  logits?: Float32Array;
}

export interface BlockRunner {
  readonly ep: ExecutionProvider;
  embed(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number): Promise<Float32Array>;
  attention(w: AttentionWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array>;
  mlp(w: MlpWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array>;
  parallel(w: ParallelWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array>;
  /** `targets[i]` is the token to score at position i (−1 = none). */
  head(w: HeadWeights, x: Float32Array, batch: number, seq: number, opts: { targets?: Int32Array; logits?: boolean }): Promise<HeadOutput>;
  dispose(): Promise<void>;
  /** Frees the device copies of weights uploaded so far (resident runners); a layer-major pass calls it after each layer. */
  releaseUploads?(): Promise<void>;
  /** Resident runners: weights whose uploaded matrices no longer hold host values (runner.ts detachHost). */
  detachHost?<T>(w: T): T;
}

/** Run one decoder layer, whichever block shape it has. */
export async function runLayer(r: BlockRunner, w: LayerWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array> {
  if (w.kind === 'parallel') return r.parallel(w.block, x, batch, seq);
  const mid = await r.attention(w.attn, x, batch, seq);
  return r.mlp(w.mlp, mid, batch, seq);
}
