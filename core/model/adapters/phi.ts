// phi (Phi-2 layout): parallel attention + MLP reading one LayerNorm, partial rotary, gelu_new,
// biases on every linear including the LM head.
import type { Adapter } from './types';

export const phiAdapter: Adapter = () => {
  const L = 'model.layers.{i}';
  return {
    tokens: 'model.embed_tokens.weight',
    layer: {
      kind: 'parallel',
      norm: { p: `${L}.input_layernorm` },
      q: { p: `${L}.self_attn.q_proj`, bias: true },
      k: { p: `${L}.self_attn.k_proj`, bias: true },
      v: { p: `${L}.self_attn.v_proj`, bias: true },
      o: { p: `${L}.self_attn.dense`, bias: true },
      up: { p: `${L}.mlp.fc1`, bias: true },
      down: { p: `${L}.mlp.fc2`, bias: true },
    },
    finalNorm: { p: 'model.final_layernorm' },
    lm: { p: 'lm_head', bias: true },
  };
};
