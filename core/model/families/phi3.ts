// phi3 (Phi3ForCausalLM): the llama layout — RMSNorm, rotary, SwiGLU — with q/k/v fused into one `qkv_proj`
// and gate/up into one `gate_up_proj`. The adapter names each part as rows of the fused tensor, so the rest of
// the app sees the same q, k, v, gate and up as for llama; sliced folders store the parts apart.
import { ConfigError } from '../config-fields';
import type { FamilyModule } from './types';
import type { Adapter } from './names';
import { llamaFamily } from './llama';

/** Phi-3-mini-4k's window: attention here is full causal, which equals sliding-window attention up to it. */
const MIN_SLIDING_WINDOW = 2047;

// The llama adapter's names (o_proj, down_proj, the norms, the head) with the fused parts put in.
const adapter: Adapter = (c) => {
  const base = llamaFamily.adapter(c);
  if (base.layer.kind !== 'sequential') throw new Error('the llama adapter is sequential');
  const L = base.layers;
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const F = c.intermediateSize;
  const qkv = `${L}.self_attn.qkv_proj`;
  const gateUp = `${L}.mlp.gate_up_proj`;
  const part = (p: string, start: number, end: number, total: number, as: string) => ({ p, bias: false, fused: { start, end, total, as } });
  return {
    ...base,
    layer: {
      ...base.layer,
      q: part(qkv, 0, q, q + 2 * kv, 'self_attn.q_proj'),
      k: part(qkv, q, q + kv, q + 2 * kv, 'self_attn.k_proj'),
      v: part(qkv, q + kv, q + 2 * kv, q + 2 * kv, 'self_attn.v_proj'),
      // transformers' Phi3MLP: `gate, up = gate_up_proj(x).chunk(2)`: gate first.
      gate: part(gateUp, 0, F, 2 * F, 'mlp.gate_proj'),
      up: part(gateUp, F, 2 * F, 2 * F, 'mlp.up_proj'),
    },
  };
};

export const phi3Family: FamilyModule = {
  id: 'phi3',
  architecturePrefix: 'Phi3',
  mlpWidthKeys: ['intermediate_size'],
  defaults: { activation: 'silu', normEps: 1e-5, tieWordEmbeddings: false },
  refuse(raw) {
    const rs = raw.rope_scaling;
    if (rs !== null && rs !== undefined) {
      const t = typeof rs === 'object' && !Array.isArray(rs) ? ((rs as Record<string, unknown>).type ?? (rs as Record<string, unknown>).rope_type) : rs;
      throw new ConfigError(`phi3 with rope_scaling ${JSON.stringify(String(t)).slice(0, 40)} (Phi-3-*-128k's long-context RoPE) is not supported`);
    }
    const sw = raw.sliding_window;
    if (typeof sw === 'number' && sw < MIN_SLIDING_WINDOW) throw new ConfigError(`phi3 with sliding_window ${sw} is not supported (attention here is full causal: windows of at least ${MIN_SLIDING_WINDOW} only)`);
    if (raw.attention_bias === true) throw new ConfigError('phi3 with attention_bias is not supported');
  },
  shape: () => ({
    parallelBlocks: false,
    norm: 'rmsnorm',
    gatedMlp: true,
    attentionBias: false,
    attentionOutBias: false,
    mlpBias: false,
    lmHeadBias: false,
    positionOffset: 0,
    rotary: true,
  }),
  adapter,
  genaiType: 'phi3',
  gguf: 'phi3',
  synthTokenizers: ['llama-2'],
};
