// llama / mistral / qwen2: RMSNorm with weight, RoPE, SwiGLU (gate, up, down), GQA; qwen2 adds
// q/k/v biases (config.attentionBias) and some llama variants an o bias or MLP biases.
import type { Adapter } from './types';

export const llamaAdapter: Adapter = (c) => {
  const L = 'model.layers.{i}';
  return {
    tokens: 'model.embed_tokens.weight',
    layer: {
      kind: 'sequential',
      attnNorm: { p: `${L}.input_layernorm` },
      q: { p: `${L}.self_attn.q_proj`, bias: c.attentionBias },
      k: { p: `${L}.self_attn.k_proj`, bias: c.attentionBias },
      v: { p: `${L}.self_attn.v_proj`, bias: c.attentionBias },
      o: { p: `${L}.self_attn.o_proj`, bias: c.attentionOutBias },
      mlpNorm: { p: `${L}.post_attention_layernorm` },
      gate: { p: `${L}.mlp.gate_proj`, bias: c.mlpBias },
      up: { p: `${L}.mlp.up_proj`, bias: c.mlpBias },
      down: { p: `${L}.mlp.down_proj`, bias: c.mlpBias },
    },
    finalNorm: { p: 'model.norm' },
    lm: { p: 'lm_head', bias: false },
  };
};
