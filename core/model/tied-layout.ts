// Whether a slice stores its tied embedding once (sliced-folder format 2, core/slicegpt/tied.ts) or as two
// materialised tables (the embedding V×d, the head V×k). Once is E (V×D) plus two D-row factors: smaller
// whenever (V − D)·(d + k) > V·D, i.e. unless the head is sliced too and d falls below about D/2 (uniform
// rotation at high ratios), where 2·V·d undercuts V·D. The slice writes whichever is smaller, and the size
// prediction (core/plan/params.ts) asks the same question.
import type { ModelConfig } from './config';

/** Parameters of the two layouts for embedding width `d` and head input `k` (biases included). */
export function tiedLayoutParams(c: ModelConfig, d: number, k: number): { once: number; materialised: number } {
  const V = c.vocabSize;
  const D = c.hiddenSize;
  // The final LayerNorm's shift becomes a bias: D wide on the factor, V wide on a materialised head.
  const shift = c.norm === 'layernorm';
  return { once: V * D + D * d + D * k + (shift ? D : 0), materialised: V * d + V * k + (shift ? V : 0) };
}

/** A tied model (no head bias of its own) sliced to embedding width `d` and head input `k` keeps E once when that is smaller. */
export function storesTiedEmbedding(c: ModelConfig, d: number, k: number): boolean {
  if (!c.tieWordEmbeddings || c.lmHeadBias) return false;
  const p = tiedLayoutParams(c, d, k);
  return p.once < p.materialised;
}
