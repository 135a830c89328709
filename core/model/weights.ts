// The canonical weights of a decoder, independent of the Hugging Face names an architecture uses.
// Adapters (core/model/adapters) map a folder's tensors onto these shapes; the forward pass, SliceGPT
// (fuse, rotate, slice) and every export read and write only these. One layer at a time: nothing here
// ever holds a whole model.
//
// Layout conventions (so that no module has to guess):
// - A Matrix is row-major float32, `rows × cols`.
// - A Linear follows torch.nn.Linear: weight is `out × in` (y = x·Wᵀ + b).
// - An Embedding table is `vocab × width`.
// - A shortcut is `d_in × d_out` (residual' = residual · S); absent means identity (d_in = d_out).
// - Widths may differ per block after slicing: the width of a block's input is `in` of its readers.

export interface Matrix {
  rows: number;
  cols: number;
  data: Float32Array;
}

export interface Linear {
  /** out × in */
  weight: Matrix;
  bias?: Float32Array;
}

export type NormSpec =
  /** LayerNorm over the input width, with affine weight and bias (opt, phi before fusion). */
  | { kind: 'layernorm'; eps: number; weight: Float32Array; bias: Float32Array }
  /**
   * RMSNorm: x / sqrt(Σx² / divisor + eps) · weight. `divisor` is the width the norm was trained at;
   * after fusion and slicing it stays the ORIGINAL hidden size D although the input is narrower
   * (SliceGPT: the sliced signal has the same norm as the full one). `weight` absent = weightless.
   */
  | { kind: 'rmsnorm'; eps: number; divisor: number; weight?: Float32Array };

export interface AttentionWeights {
  norm: NormSpec;
  q: Linear;
  k: Linear;
  v: Linear;
  o: Linear;
  /** Qwen3: each head of q and of k RMS-normalized (weights of headDim) before RoPE. */
  qkNorm?: HeadNorms;
  shortcut?: Matrix;
}

/**
 * Per-head RMSNorms of q and k. They act inside the head dimension, which SliceGPT never touches (it rotates
 * and slices the residual width D only: the readers' input columns and o's output rows), so fusion, rotation
 * and slicing carry them through unchanged.
 */
export interface HeadNorms {
  eps: number;
  q: Float32Array;
  k: Float32Array;
}

/** The q/k head norms of `a` as a spreadable part (`{}` when it has none), for code that rebuilds attention weights. */
export const headNormsOf = (a: { qkNorm?: HeadNorms }): { qkNorm?: HeadNorms } => (a.qkNorm ? { qkNorm: a.qkNorm } : {});

export interface MlpWeights {
  norm: NormSpec;
  /** Present for gated MLPs (SwiGLU): act(gate(x)) * up(x). */
  gate?: Linear;
  /** fc1 for plain MLPs. */
  up: Linear;
  /** fc2 for plain MLPs. */
  down: Linear;
  shortcut?: Matrix;
}

/** Phi-style block: one norm feeds attention and MLP; out = x·S + attn(n) + mlp(n). */
export interface ParallelWeights {
  norm: NormSpec;
  attn: Omit<AttentionWeights, 'norm' | 'shortcut'>;
  mlp: Omit<MlpWeights, 'norm' | 'shortcut'>;
  shortcut?: Matrix;
}

export type LayerWeights = { kind: 'sequential'; attn: AttentionWeights; mlp: MlpWeights } | { kind: 'parallel'; block: ParallelWeights };

export interface EmbeddingWeights {
  /** vocab × width; with `projection`: the source's vocab × D table (a tied embedding stored once). */
  tokens: Matrix;
  /** A sliced model's tied embedding: rows are Gather(tokens)·projection (D × width). */
  projection?: Matrix;
  /** Learned absolute positions (opt): maxPositions+offset × width; row = position + offset. */
  positions?: Matrix;
  positionOffset?: number;
}

export interface HeadWeights {
  norm: NormSpec;
  /** vocab × width (untied: a copy even when the checkpoint ties it to the embeddings); with `vocab`: D × width. */
  lm: Linear;
  /** A sliced model's tied head: the embedding's vocab × D table; logits = lm(norm(x))·vocabᵀ. */
  vocab?: Matrix;
}

/** The head's vocabulary size, tied (sliced, format 2) or not. */
export const headVocab = (h: HeadWeights): number => h.vocab?.rows ?? h.lm.weight.rows;
