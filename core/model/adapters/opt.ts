// opt: pre-LayerNorm with bias, learned positions (table offset 2), ReLU fc1/fc2, biases
// everywhere, head tied to the token embedding (copied untied by the source).
import type { Adapter } from './types';

export const optAdapter: Adapter = () => {
  const D = 'model.decoder';
  const L = `${D}.layers.{i}`;
  return {
    tokens: `${D}.embed_tokens.weight`,
    positions: `${D}.embed_positions.weight`,
    layer: {
      kind: 'sequential',
      attnNorm: { p: `${L}.self_attn_layer_norm` },
      q: { p: `${L}.self_attn.q_proj`, bias: true },
      k: { p: `${L}.self_attn.k_proj`, bias: true },
      v: { p: `${L}.self_attn.v_proj`, bias: true },
      o: { p: `${L}.self_attn.out_proj`, bias: true },
      mlpNorm: { p: `${L}.final_layer_norm` },
      up: { p: `${L}.fc1`, bias: true },
      down: { p: `${L}.fc2`, bias: true },
    },
    finalNorm: { p: `${D}.final_layer_norm` },
    lm: { p: 'lm_head', bias: false },
  };
};
