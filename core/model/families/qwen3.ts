// qwen3 (Qwen3ForCausalLM): the llama layout with no q/k/v biases and a per-head RMSNorm on q and on k
// (`self_attn.q_norm`, `self_attn.k_norm`, headDim wide) applied before RoPE; `head_dim` is explicit in the
// config and may differ from hidden/heads (Qwen3-0.6B: 1024 / 16 heads, head_dim 128).
// SliceGPT: the q/k norms act inside each head's dimension, which slicing never touches — it rotates and
// slices the residual width D only (the q/k/v readers' input columns, o's output rows) — so they are carried
// through fusion, rotation and slicing unchanged (test/slicegpt/families.test.ts checks rotated logits).
import { ConfigError } from '../config-fields';
import type { FamilyModule } from './types';
import type { Adapter } from './names';
import { llamaFamily } from './llama';

const adapter: Adapter = (c) => {
  const base = llamaFamily.adapter(c);
  if (base.layer.kind !== 'sequential') throw new Error('the llama adapter is sequential');
  const a = `${base.layers}.self_attn`;
  return { ...base, layer: { ...base.layer, qNorm: { p: `${a}.q_norm` }, kNorm: { p: `${a}.k_norm` } } };
};

export const qwen3Family: FamilyModule = {
  ...llamaFamily,
  id: 'qwen3',
  architecturePrefix: 'Qwen3',
  refuse(raw) {
    if (raw.use_sliding_window === true) throw new ConfigError('qwen3 with use_sliding_window is not supported (attention here is full causal)');
    if (raw.attention_bias === true) throw new ConfigError('qwen3 with attention_bias is not supported');
  },
  shape: (raw) => ({ ...llamaFamily.shape(raw), qkNorm: true }),
  adapter,
  genaiType: 'qwen3',
  gguf: 'qwen3',
};
