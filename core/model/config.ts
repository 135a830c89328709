// One normalized view of a Hugging Face config.json, whatever transformers version wrote it.
// transformers 4.x keeps `rope_theta` / `torch_dtype` at top level; 5.x nests RoPE settings in
// `rope_parameters` and renames `torch_dtype` to `dtype`. Everything downstream (adapters, planner,
// inspection, slicing) reads this shape only, so layout differences stop here.

export type Family = 'llama' | 'mistral' | 'qwen2' | 'opt' | 'phi';
export const SUPPORTED_FAMILIES: readonly Family[] = ['llama', 'mistral', 'qwen2', 'opt', 'phi'];

export type Activation = 'silu' | 'relu' | 'gelu_new' | 'gelu';

export interface ModelConfig {
  /** `model_type` as written in config.json. */
  modelType: string;
  family: Family;
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

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const num = (raw: Record<string, unknown>, ...keys: string[]): number | undefined => {
  for (const k of keys) {
    const v = raw[k];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return undefined;
};

const need = (raw: Record<string, unknown>, what: string, ...keys: string[]): number => {
  const v = num(raw, ...keys);
  if (v === undefined) throw new ConfigError(`config.json has no ${what} (looked for ${keys.join(', ')})`);
  return v;
};

const firstId = (v: unknown): number | null =>
  typeof v === 'number' ? v : Array.isArray(v) && typeof v[0] === 'number' ? v[0] : null;

/** Map `model_type` (or the architectures list) onto a supported family, or say why not. */
export function detectFamily(raw: Record<string, unknown>): Family {
  const mt = typeof raw.model_type === 'string' ? raw.model_type.toLowerCase() : '';
  if ((SUPPORTED_FAMILIES as readonly string[]).includes(mt)) return mt as Family;
  const archs = Array.isArray(raw.architectures) ? (raw.architectures as string[]) : [];
  for (const a of archs) {
    const m = /^(Llama|Mistral|Qwen2|OPT|Phi)For/i.exec(a);
    if (m) return m[1].toLowerCase() as Family;
  }
  const name = mt || archs[0] || 'unknown';
  throw new ConfigError(
    `unsupported architecture "${name}": Slice Studio supports ${SUPPORTED_FAMILIES.join(', ')}`,
  );
}

export function parseConfig(raw: Record<string, unknown>): ModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('config.json is not a JSON object');
  const family = detectFamily(raw);
  const hiddenSize = need(raw, 'hidden size', 'hidden_size', 'd_model', 'n_embd');
  const numHeads = need(raw, 'attention head count', 'num_attention_heads', 'n_head');
  const numLayers = need(raw, 'layer count', 'num_hidden_layers', 'n_layer');
  const vocabSize = need(raw, 'vocabulary size', 'vocab_size');
  const numKvHeads = num(raw, 'num_key_value_heads') ?? numHeads;
  const headDim = num(raw, 'head_dim') ?? hiddenSize / numHeads;
  const intermediateSize =
    family === 'opt' ? need(raw, 'MLP width', 'ffn_dim') : need(raw, 'MLP width', 'intermediate_size', 'n_inner');
  const ropeParams = (raw.rope_parameters ?? null) as Record<string, unknown> | null;
  const theta = num(ropeParams ?? {}, 'rope_theta') ?? num(raw, 'rope_theta') ?? 10000;
  const partial = num(ropeParams ?? {}, 'partial_rotary_factor') ?? num(raw, 'partial_rotary_factor') ?? 1;
  const ropeType = (ropeParams?.rope_type as string | undefined) ?? ((raw.rope_scaling as Record<string, unknown> | null)?.rope_type as string | undefined) ?? 'default';
  const scaling = (raw.rope_scaling as Record<string, unknown> | null) ?? (ropeType !== 'default' ? ropeParams : null);
  const act = String(raw.hidden_act ?? raw.activation_function ?? (family === 'opt' ? 'relu' : 'silu')) as Activation;
  if (!['silu', 'relu', 'gelu_new', 'gelu'].includes(act)) throw new ConfigError(`unsupported activation "${act}"`);
  if (family === 'opt') {
    if (raw.do_layer_norm_before === false) throw new ConfigError('OPT with post-layer-norm (opt-350m style) is not supported');
    const proj = num(raw, 'word_embed_proj_dim');
    if (proj !== undefined && proj !== hiddenSize) throw new ConfigError('OPT with word_embed_proj_dim ≠ hidden_size (opt-350m style) is not supported');
  }
  if (family === 'phi' && raw.qk_layernorm === true) throw new ConfigError('phi with qk_layernorm is not supported');
  const isLlamaLike = family === 'llama' || family === 'mistral' || family === 'qwen2';
  return {
    modelType: String(raw.model_type ?? family),
    family,
    architecture: Array.isArray(raw.architectures) ? String(raw.architectures[0]) : family,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize,
    maxPositions: num(raw, 'max_position_embeddings', 'n_positions') ?? 2048,
    parallelBlocks: family === 'phi',
    norm: isLlamaLike ? 'rmsnorm' : 'layernorm',
    normEps: num(raw, 'rms_norm_eps', 'layer_norm_eps', 'layer_norm_epsilon') ?? (family === 'opt' ? 1e-5 : 1e-6),
    activation: act,
    gatedMlp: isLlamaLike,
    tieWordEmbeddings: raw.tie_word_embeddings === undefined ? family === 'opt' : raw.tie_word_embeddings === true,
    attentionBias: family === 'qwen2' || family === 'opt' || family === 'phi' || raw.attention_bias === true,
    attentionOutBias: family === 'opt' || family === 'phi' || (isLlamaLike && family !== 'qwen2' && raw.attention_bias === true),
    mlpBias: family === 'opt' || family === 'phi' || raw.mlp_bias === true,
    lmHeadBias: family === 'phi',
    rope: family === 'opt' ? null : { theta, rotaryDim: Math.floor(headDim * partial), type: ropeType, scaling },
    positionOffset: family === 'opt' ? 2 : 0,
    dtype: (raw.dtype ?? raw.torch_dtype ?? null) as string | null,
    bosTokenId: firstId(raw.bos_token_id),
    eosTokenId: firstId(raw.eos_token_id),
    padTokenId: firstId(raw.pad_token_id),
    raw,
  };
}
