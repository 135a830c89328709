// phi (Phi-2 layout): parallel attention + MLP reading one LayerNorm, partial rotary, gelu_new, biases on
// every linear including the LM head.
import { ConfigError } from '../config-fields';
import type { FamilyModule } from './types';
import { attentionNames, type Adapter } from './names';

const adapter: Adapter = () => {
  const L = 'model.layers.{i}';
  return {
    tokens: 'model.embed_tokens.weight',
    layers: L,
    layer: {
      kind: 'parallel',
      norm: { p: `${L}.input_layernorm` },
      ...attentionNames(L, 'dense', true, true),
      up: { p: `${L}.mlp.fc1`, bias: true },
      down: { p: `${L}.mlp.fc2`, bias: true },
    },
    finalNorm: { p: 'model.final_layernorm' },
    lm: { p: 'lm_head', bias: true },
  };
};

export const phiFamily: FamilyModule = {
  id: 'phi',
  architecturePrefix: 'Phi',
  mlpWidthKeys: ['intermediate_size', 'n_inner'],
  defaults: { activation: 'silu', normEps: 1e-6, tieWordEmbeddings: false },
  refuse(raw) {
    if (raw.qk_layernorm === true) throw new ConfigError('phi with qk_layernorm is not supported');
  },
  shape: () => ({
    parallelBlocks: true,
    norm: 'layernorm',
    gatedMlp: false,
    attentionBias: true,
    attentionOutBias: true,
    mlpBias: true,
    lmHeadBias: true,
    positionOffset: 0,
    rotary: true,
  }),
  adapter,
  genaiType: 'phi',
  gguf: null,
  synthTokenizers: ['phi-2', 'gpt2'],
};
