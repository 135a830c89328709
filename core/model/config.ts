// One normalized view of a Hugging Face config.json, whatever transformers version wrote it.
// transformers 4.x keeps `rope_theta` / `torch_dtype` at top level; 5.x nests RoPE settings in
// `rope_parameters` and renames `torch_dtype` to `dtype`. Everything downstream (adapters, planner,
// inspection, slicing) reads this shape only, so layout differences stop here. What differs by family is read
// by the family's module (families/).

import { CONFIG_BOUNDS, ConfigError, boundedInt, boundedNumber, need, objectOrNull, shown, tokenId, fmtInt } from './config-fields';
import type { Activation, ModelConfig } from './config-shape';
import { FAMILIES, type FamilyModule } from './families/index';

export { CONFIG_BOUNDS, ConfigError } from './config-fields';
export type { Activation, ModelConfig } from './config-shape';

export const SUPPORTED_FAMILIES: readonly string[] = FAMILIES.map((f) => f.id);

/** Map `model_type` (or the architectures list) onto a supported family, or say why not. */
export function detectFamily(raw: Record<string, unknown>): string {
  return detectFamilyModule(raw).id;
}

function detectFamilyModule(raw: Record<string, unknown>): FamilyModule {
  const mt = typeof raw.model_type === 'string' ? raw.model_type.toLowerCase() : '';
  const byType = FAMILIES.find((f) => f.id === mt);
  if (byType) return byType;
  const archs = Array.isArray(raw.architectures) ? raw.architectures.filter((a): a is string => typeof a === 'string') : [];
  for (const a of archs) {
    const f = FAMILIES.find((x) => a.toLowerCase().startsWith(`${x.architecturePrefix.toLowerCase()}for`));
    if (f) return f;
  }
  const name = mt || archs[0] || 'unknown';
  throw new ConfigError(`unsupported architecture ${shown(name)}: Slice Studio supports ${SUPPORTED_FAMILIES.join(', ')}`);
}

export function parseConfig(raw: Record<string, unknown>): ModelConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError('config.json is not a JSON object');
  const fam = detectFamilyModule(raw);
  const family = fam.id;
  const B = CONFIG_BOUNDS;
  const hiddenSize = need(raw, 'hidden size', B.hiddenSize, 'hidden_size', 'd_model', 'n_embd');
  const numHeads = need(raw, 'attention head count', B.numHeads, 'num_attention_heads', 'n_head');
  const numLayers = need(raw, 'layer count', B.numLayers, 'num_hidden_layers', 'n_layer');
  const vocabSize = need(raw, 'vocabulary size', B.vocabSize, 'vocab_size');
  const numKvHeads = boundedInt(raw, 'KV head count', [1, numHeads], 'num_key_value_heads') ?? numHeads;
  if (numHeads % numKvHeads !== 0) throw new ConfigError(`config.json: ${numHeads} attention heads do not split into ${numKvHeads} KV heads`);
  const explicitHeadDim = boundedInt(raw, 'head width', B.headDim, 'head_dim');
  if (explicitHeadDim === undefined && hiddenSize % numHeads !== 0) throw new ConfigError(`config.json: ${fmtInt(numHeads)} attention heads do not divide the hidden size ${fmtInt(hiddenSize)}`);
  const headDim = explicitHeadDim ?? hiddenSize / numHeads;
  const intermediateSize = need(raw, 'MLP width', B.intermediateSize, ...fam.mlpWidthKeys);
  const ropeParams = objectOrNull(raw.rope_parameters, 'rope_parameters');
  const ropeScaling = objectOrNull(raw.rope_scaling, 'rope_scaling');
  const theta = boundedNumber(ropeParams ?? {}, 'RoPE base', 0, 1e12, boundedNumber(raw, 'RoPE base', 0, 1e12, 10000, 'rope_theta'), 'rope_theta');
  const partial = boundedNumber(ropeParams ?? {}, 'rotary fraction', 0, 1, boundedNumber(raw, 'rotary fraction', 0, 1, 1, 'partial_rotary_factor'), 'partial_rotary_factor');
  const ropeTypeRaw = ropeParams?.rope_type ?? ropeScaling?.rope_type ?? ropeScaling?.type ?? 'default';
  if (typeof ropeTypeRaw !== 'string') throw new ConfigError(`config.json: rope_type is ${shown(ropeTypeRaw)}; expected a name`);
  const ropeType = ropeTypeRaw;
  const scaling = ropeScaling ?? (ropeType !== 'default' ? ropeParams : null);
  const act = String(raw.hidden_act ?? raw.activation_function ?? fam.defaults.activation) as Activation;
  if (!['silu', 'relu', 'gelu_new', 'gelu'].includes(act)) throw new ConfigError(`unsupported activation ${shown(act)}`);
  fam.refuse?.(raw, hiddenSize);
  const { rotary, ...shape } = fam.shape(raw);
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
    ...shape,
    normEps: boundedNumber(raw, 'norm epsilon', 0, 1, fam.defaults.normEps, 'rms_norm_eps', 'layer_norm_eps', 'layer_norm_epsilon'),
    activation: act,
    tieWordEmbeddings: raw.tie_word_embeddings === undefined ? fam.defaults.tieWordEmbeddings : raw.tie_word_embeddings === true,
    rope: rotary ? { theta, rotaryDim: Math.floor(headDim * partial), type: ropeType, scaling } : null,
    dtype: typeof (raw.dtype ?? raw.torch_dtype) === 'string' ? ((raw.dtype ?? raw.torch_dtype) as string) : null,
    bosTokenId: tokenId(raw, 'bos_token_id', vocabSize),
    eosTokenId: tokenId(raw, 'eos_token_id', vocabSize),
    padTokenId: tokenId(raw, 'pad_token_id', vocabSize),
    raw,
  };
}
