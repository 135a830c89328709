// opt: pre-LayerNorm with bias, learned positions (table offset 2), ReLU fc1/fc2, biases everywhere, head
// tied to the token embedding (copied untied by the source).
import { ConfigError, CONFIG_BOUNDS, boundedInt } from '../config-fields';
import type { FamilyModule } from './types';
import { attentionNames, type Adapter } from './names';

const adapter: Adapter = () => {
  const D = 'model.decoder';
  const L = `${D}.layers.{i}`;
  return {
    tokens: `${D}.embed_tokens.weight`,
    positions: `${D}.embed_positions.weight`,
    layers: L,
    layer: {
      kind: 'sequential',
      attnNorm: { p: `${L}.self_attn_layer_norm` },
      ...attentionNames(L, 'out_proj', true, true),
      mlpNorm: { p: `${L}.final_layer_norm` },
      up: { p: `${L}.fc1`, bias: true },
      down: { p: `${L}.fc2`, bias: true },
    },
    finalNorm: { p: `${D}.final_layer_norm` },
    lm: { p: 'lm_head', bias: false },
  };
};

export const optFamily: FamilyModule = {
  id: 'opt',
  architecturePrefix: 'OPT',
  mlpWidthKeys: ['ffn_dim'],
  defaults: { activation: 'relu', normEps: 1e-5, tieWordEmbeddings: true },
  refuse(raw, hiddenSize) {
    if (raw.do_layer_norm_before === false) throw new ConfigError('OPT with post-layer-norm (opt-350m style) is not supported');
    const proj = boundedInt(raw, 'embedding projection width', CONFIG_BOUNDS.hiddenSize, 'word_embed_proj_dim');
    if (proj !== undefined && proj !== hiddenSize) throw new ConfigError('OPT with word_embed_proj_dim ≠ hidden_size (opt-350m style) is not supported');
  },
  shape: () => ({
    parallelBlocks: false,
    norm: 'layernorm',
    gatedMlp: false,
    attentionBias: true,
    attentionOutBias: true,
    mlpBias: true,
    lmHeadBias: false,
    positionOffset: 2,
    rotary: false,
  }),
  adapter,
  // genai has no OPT type of its own: the generic decoder.
  genaiType: 'decoder',
  gguf: null,
  synthTokenizers: ['opt', 'gpt2'],
};
