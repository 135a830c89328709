// The one normalized shape of a Hugging Face config.json (config.ts parses it; each family module in
// families/ decides the fields that differ by family). Its own file so family modules can name it without
// importing the parser that imports them.

export type Activation = 'silu' | 'relu' | 'gelu_new' | 'gelu';

export interface ModelConfig {
  /** `model_type` as written in config.json. */
  modelType: string;
  /** A row of the families table (core/model/families/index.ts). */
  family: string;
  architecture: string;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  vocabSize: number;
  maxPositions: number;
  /** Parallel attention + MLP reading one norm (phi) vs attention then MLP (the rest). */
  parallelBlocks: boolean;
  norm: 'rmsnorm' | 'layernorm';
  normEps: number;
  activation: Activation;
  /** Gated MLP (SwiGLU: gate, up, down) vs plain two-layer MLP (fc1, fc2). */
  gatedMlp: boolean;
  tieWordEmbeddings: boolean;
  attentionBias: boolean;
  /** Bias on the attention output projection (opt, phi) — qwen2 has q/k/v biases only. */
  attentionOutBias: boolean;
  mlpBias: boolean;
  lmHeadBias: boolean;
  /** Qwen3: per-head RMSNorm of q and k (`self_attn.q_norm`, `k_norm`, headDim wide) before RoPE. */
  qkNorm?: boolean;
  /** RoPE: null for learned absolute positions (opt). */
  rope: { theta: number; rotaryDim: number; type: string; scaling: Record<string, unknown> | null } | null;
  /** Learned positions (opt): rows offset by this many (OPT's table starts at 2). */
  positionOffset: number;
  dtype: string | null;
  bosTokenId: number | null;
  eosTokenId: number | null;
  padTokenId: number | null;
  /** The raw config, kept so exports can write it back unchanged. */
  raw: Record<string, unknown>;
}
