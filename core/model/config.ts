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

/**
 * What a config may say, checked before any arithmetic: far beyond every published model of the supported
 * families (405B: hidden 16,384, 126 layers, MLP 53,248; vocabularies ≤ 262,144), far below what would
 * run the planner or a store row into nonsense (10¹² layers, 0 heads, a hidden size of 1e308).
 */
export const CONFIG_BOUNDS = {
  hiddenSize: [1, 65_536],
  numHeads: [1, 1_024],
  numLayers: [1, 1_000],
  vocabSize: [1, 4_194_304],
  intermediateSize: [1, 1_048_576],
  headDim: [1, 4_096],
  maxPositions: [1, 16_777_216],
} as const satisfies Record<string, readonly [number, number]>;

const fmtInt = (n: number) => n.toLocaleString('en-US');
const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : typeof v === 'object' ? (v === null ? 'null' : Array.isArray(v) ? 'an array' : 'an object') : String(v));

/**
 * The first of `keys` that is present (null counts as absent), as an integer within bounds; undefined when
 * none is present. A present key with anything else is an error: falling back would hide a broken config.
 */
function boundedInt(raw: Record<string, unknown>, what: string, [min, max]: readonly [number, number], ...keys: string[]): number | undefined {
  for (const k of keys) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
      throw new ConfigError(`config.json: ${k} (${what}) is ${shown(v)}; expected a whole number from ${fmtInt(min)} to ${fmtInt(max)}`);
    return v;
  }
  return undefined;
}

const need = (raw: Record<string, unknown>, what: string, bounds: readonly [number, number], ...keys: string[]): number => {
  const v = boundedInt(raw, what, bounds, ...keys);
  if (v === undefined) throw new ConfigError(`config.json has no ${what} (looked for ${keys.join(', ')})`);
  return v;
};

/** A finite number within (min, max] where given, else the default. */
function boundedNumber(raw: Record<string, unknown>, what: string, min: number, max: number, fallback: number, ...keys: string[]): number {
  for (const k of keys) {
    const v = raw[k];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > min && v <= max))
      throw new ConfigError(`config.json: ${k} (${what}) is ${shown(v)}; expected a number above ${min} and at most ${max}`);
    return v;
  }
  return fallback;
}

function objectOrNull(v: unknown, key: string): Record<string, unknown> | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`config.json: ${key} is ${shown(v)}; expected an object`);
  return v as Record<string, unknown>;
}

/** A special-token id: an id inside the vocabulary, null when absent or negative (old configs write -1). */
function tokenId(raw: Record<string, unknown>, key: string, vocabSize: number): number | null {
  const v = raw[key];
  const first = Array.isArray(v) ? v[0] : v;
  if (first === undefined || first === null) return null;
  if (typeof first !== 'number' || !Number.isInteger(first)) throw new ConfigError(`config.json: ${key} is ${shown(v)}; expected a token id`);
  if (first < 0) return null;
  if (first >= vocabSize) throw new ConfigError(`config.json: ${key} ${fmtInt(first)} is outside the vocabulary (vocab_size ${fmtInt(vocabSize)})`);
  return first;
}

/** Map `model_type` (or the architectures list) onto a supported family, or say why not. */
export function detectFamily(raw: Record<string, unknown>): Family {
  const mt = typeof raw.model_type === 'string' ? raw.model_type.toLowerCase() : '';
  if ((SUPPORTED_FAMILIES as readonly string[]).includes(mt)) return mt as Family;
  const archs = Array.isArray(raw.architectures) ? raw.architectures.filter((a): a is string => typeof a === 'string') : [];
  for (const a of archs) {
    const m = /^(Llama|Mistral|Qwen2|OPT|Phi)For/i.exec(a);
    if (m) return m[1].toLowerCase() as Family;
  }
  const name = mt || archs[0] || 'unknown';
  throw new ConfigError(
    `unsupported architecture ${shown(name)}: Slice Studio supports ${SUPPORTED_FAMILIES.join(', ')}`,
  );
}

export function parseConfig(raw: Record<string, unknown>): ModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('config.json is not a JSON object');
  const family = detectFamily(raw);
  const B = CONFIG_BOUNDS;
  const hiddenSize = need(raw, 'hidden size', B.hiddenSize, 'hidden_size', 'd_model', 'n_embd');
  const numHeads = need(raw, 'attention head count', B.numHeads, 'num_attention_heads', 'n_head');
  const numLayers = need(raw, 'layer count', B.numLayers, 'num_hidden_layers', 'n_layer');
  const vocabSize = need(raw, 'vocabulary size', B.vocabSize, 'vocab_size');
  const numKvHeads = boundedInt(raw, 'KV head count', [1, numHeads], 'num_key_value_heads') ?? numHeads;
  if (numHeads % numKvHeads !== 0) throw new ConfigError(`config.json: ${numHeads} attention heads do not split into ${numKvHeads} KV heads`);
  const explicitHeadDim = boundedInt(raw, 'head width', B.headDim, 'head_dim');
  if (explicitHeadDim === undefined && hiddenSize % numHeads !== 0)
    throw new ConfigError(`config.json: ${fmtInt(numHeads)} attention heads do not divide the hidden size ${fmtInt(hiddenSize)}`);
  const headDim = explicitHeadDim ?? hiddenSize / numHeads;
  const intermediateSize =
    family === 'opt'
      ? need(raw, 'MLP width', B.intermediateSize, 'ffn_dim')
      : need(raw, 'MLP width', B.intermediateSize, 'intermediate_size', 'n_inner');
  const ropeParams = objectOrNull(raw.rope_parameters, 'rope_parameters');
  const ropeScaling = objectOrNull(raw.rope_scaling, 'rope_scaling');
  const theta = boundedNumber(ropeParams ?? {}, 'RoPE base', 0, 1e12, boundedNumber(raw, 'RoPE base', 0, 1e12, 10000, 'rope_theta'), 'rope_theta');
  const partial = boundedNumber(ropeParams ?? {}, 'rotary fraction', 0, 1, boundedNumber(raw, 'rotary fraction', 0, 1, 1, 'partial_rotary_factor'), 'partial_rotary_factor');
  const ropeTypeRaw = ropeParams?.rope_type ?? ropeScaling?.rope_type ?? ropeScaling?.type ?? 'default';
  if (typeof ropeTypeRaw !== 'string') throw new ConfigError(`config.json: rope_type is ${shown(ropeTypeRaw)}; expected a name`);
  const ropeType = ropeTypeRaw;
  const scaling = ropeScaling ?? (ropeType !== 'default' ? ropeParams : null);
  const act = String(raw.hidden_act ?? raw.activation_function ?? (family === 'opt' ? 'relu' : 'silu')) as Activation;
  if (!['silu', 'relu', 'gelu_new', 'gelu'].includes(act)) throw new ConfigError(`unsupported activation ${shown(act)}`);
  if (family === 'opt') {
    if (raw.do_layer_norm_before === false) throw new ConfigError('OPT with post-layer-norm (opt-350m style) is not supported');
    const proj = boundedInt(raw, 'embedding projection width', B.hiddenSize, 'word_embed_proj_dim');
    if (proj !== undefined && proj !== hiddenSize) throw new ConfigError('OPT with word_embed_proj_dim ≠ hidden_size (opt-350m style) is not supported');
  }
  if (family === 'phi' && raw.qk_layernorm === true) throw new ConfigError('phi with qk_layernorm is not supported');
  const isLlamaLike = family === 'llama' || family === 'mistral' || family === 'qwen2';
  return {
    modelType: String(raw.model_type ?? family),
    family,
    architecture: Array.isArray(raw.architectures) && typeof raw.architectures[0] === 'string' ? raw.architectures[0] : family,
    hiddenSize,
    intermediateSize,
    numLayers,
    numHeads,
    numKvHeads,
    headDim,
    vocabSize,
    maxPositions: boundedInt(raw, 'context length', B.maxPositions, 'max_position_embeddings', 'n_positions') ?? 2048,
    parallelBlocks: family === 'phi',
    norm: isLlamaLike ? 'rmsnorm' : 'layernorm',
    normEps: boundedNumber(raw, 'norm epsilon', 0, 1, family === 'opt' ? 1e-5 : 1e-6, 'rms_norm_eps', 'layer_norm_eps', 'layer_norm_epsilon'),
    activation: act,
    gatedMlp: isLlamaLike,
    tieWordEmbeddings: raw.tie_word_embeddings === undefined ? family === 'opt' : raw.tie_word_embeddings === true,
    attentionBias: family === 'qwen2' || family === 'opt' || family === 'phi' || raw.attention_bias === true,
    attentionOutBias: family === 'opt' || family === 'phi' || (isLlamaLike && family !== 'qwen2' && raw.attention_bias === true),
    mlpBias: family === 'opt' || family === 'phi' || raw.mlp_bias === true,
    lmHeadBias: family === 'phi',
    rope: family === 'opt' ? null : { theta, rotaryDim: Math.floor(headDim * partial), type: ropeType, scaling },
    positionOffset: family === 'opt' ? 2 : 0,
    dtype: typeof (raw.dtype ?? raw.torch_dtype) === 'string' ? ((raw.dtype ?? raw.torch_dtype) as string) : null,
    bosTokenId: tokenId(raw, 'bos_token_id', vocabSize),
    eosTokenId: tokenId(raw, 'eos_token_id', vocabSize),
    padTokenId: tokenId(raw, 'pad_token_id', vocabSize),
    raw,
  };
}
