// Dense parameter count from a config alone, for planning models that are not downloaded. Counts what
// transformers' `num_parameters()` counts: every weight and bias once (a tied LM head shares the embedding),
// no buffers (RoPE tables have no parameters).
import type { ModelConfig } from './config';

export interface ParamBreakdown {
  embedding: number;
  /** Learned position table (OPT): (max positions + offset) × hidden. */
  positions: number;
  perLayer: { attention: number; mlp: number; norms: number; total: number };
  layers: number;
  finalNorm: number;
  head: number;
  total: number;
}

export function paramBreakdown(c: ModelConfig): ParamBreakdown {
  const h = c.hiddenSize;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const inBias = c.attentionBias ? q + 2 * kv : 0;
  const headNorms = c.qkNorm ? 2 * c.headDim : 0; // Qwen3's q_norm and k_norm, one weight per head dimension each
  const attention = h * q + 2 * h * kv + inBias + q * h + (c.attentionOutBias ? h : 0) + headNorms;
  const i = c.intermediateSize;
  const mlp = c.gatedMlp ? 3 * h * i + (c.mlpBias ? 2 * i + h : 0) : 2 * h * i + (c.mlpBias ? i + h : 0);
  const normSize = c.norm === 'layernorm' ? 2 * h : h; // LayerNorm carries a bias, RMSNorm does not
  const norms = (c.parallelBlocks ? 1 : 2) * normSize;
  const perLayerTotal = attention + mlp + norms;
  const embedding = c.vocabSize * h;
  const positions = c.rope === null ? (c.maxPositions + c.positionOffset) * h : 0;
  const head = (c.tieWordEmbeddings ? 0 : c.vocabSize * h) + (c.lmHeadBias ? c.vocabSize : 0);
  const total = embedding + positions + c.numLayers * perLayerTotal + normSize + head;
  return {
    embedding,
    positions,
    perLayer: { attention, mlp, norms, total: perLayerTotal },
    layers: c.numLayers,
    finalNorm: normSize,
    head,
    total,
  };
}

export function countParameters(c: ModelConfig): number {
  return paramBreakdown(c).total;
}
