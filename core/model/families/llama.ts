// llama / mistral / qwen2: RMSNorm with weight, RoPE, SwiGLU (gate, up, down), GQA; qwen2 adds q/k/v biases
// (config.attentionBias) and some llama variants an o bias or MLP biases (`attention_bias`, `mlp_bias`).
import type { FamilyModule, FamilyShape } from './types';
import { attentionNames, type Adapter } from './names';

const adapter: Adapter = (c) => {
  const L = 'model.layers.{i}';
  return {
    tokens: 'model.embed_tokens.weight',
    layers: L,
    layer: {
      kind: 'sequential',
      attnNorm: { p: `${L}.input_layernorm` },
      ...attentionNames(L, 'o_proj', c.attentionBias, c.attentionOutBias),
      mlpNorm: { p: `${L}.post_attention_layernorm` },
      gate: { p: `${L}.mlp.gate_proj`, bias: c.mlpBias },
      up: { p: `${L}.mlp.up_proj`, bias: c.mlpBias },
      down: { p: `${L}.mlp.down_proj`, bias: c.mlpBias },
    },
    finalNorm: { p: 'model.norm' },
    lm: { p: 'lm_head', bias: false },
  };
};

/** One llama-layout family; `qkvBias`: q/k/v always carry biases and `attention_bias` adds none to o (qwen2). */
function llamaLike(id: string, architecturePrefix: string, o: { qkvBias: boolean; gguf: FamilyModule['gguf'] }): FamilyModule {
  return {
    id,
    architecturePrefix,
    mlpWidthKeys: ['intermediate_size', 'n_inner'],
    defaults: { activation: 'silu', normEps: 1e-6, tieWordEmbeddings: false },
    shape: (raw): FamilyShape => ({
      parallelBlocks: false,
      norm: 'rmsnorm',
      gatedMlp: true,
      attentionBias: o.qkvBias || raw.attention_bias === true,
      attentionOutBias: !o.qkvBias && raw.attention_bias === true,
      mlpBias: raw.mlp_bias === true,
      lmHeadBias: false,
      positionOffset: 0,
      rotary: true,
    }),
    adapter,
    genaiType: id,
    gguf: o.gguf,
    synthTokenizers: ['llama-2'],
  };
}

export const llamaFamily = llamaLike('llama', 'Llama', { qkvBias: false, gguf: 'llama' });
export const mistralFamily = llamaLike('mistral', 'Mistral', { qkvBias: false, gguf: 'llama' });
// No Qwen2 tokenizer is shared; Llama-2's ids (< 32,000) are valid ids of Qwen2's 152k vocabulary.
export const qwen2Family = llamaLike('qwen2', 'Qwen2', { qkvBias: true, gguf: 'qwen2' });
