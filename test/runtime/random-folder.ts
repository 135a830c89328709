// Writes a random-weight tiny Hugging Face folder (config.json + model.safetensors, F32) of a family,
// with the real checkpoint's tensor names — so tests go through openModel exactly like a download.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../../core/model/safetensors-writer';

export type TinyFamily = 'llama' | 'qwen2' | 'opt' | 'phi';

/** xorshift32 in [0, 1): the tests' small seeded generator. */
export function rand(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const D = 32;
const H = 4;
const F = 48;
const V = 64;
const L = 2;

export const TINY_CONFIGS: Record<TinyFamily, Record<string, unknown>> = {
  llama: {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: D,
    intermediate_size: F,
    num_attention_heads: H,
    num_key_value_heads: 2,
    num_hidden_layers: L,
    vocab_size: V,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-5,
    rope_parameters: { rope_theta: 500, rope_type: 'default' },
    hidden_act: 'silu',
    tie_word_embeddings: false,
  },
  qwen2: {
    architectures: ['Qwen2ForCausalLM'],
    model_type: 'qwen2',
    hidden_size: D,
    intermediate_size: F,
    num_attention_heads: H,
    num_key_value_heads: 1,
    num_hidden_layers: L,
    vocab_size: V,
    max_position_embeddings: 64,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    hidden_act: 'silu',
    tie_word_embeddings: true,
  },
  opt: {
    architectures: ['OPTForCausalLM'],
    model_type: 'opt',
    hidden_size: D,
    ffn_dim: F,
    num_attention_heads: H,
    num_hidden_layers: L,
    vocab_size: V,
    max_position_embeddings: 64,
    activation_function: 'relu',
    do_layer_norm_before: true,
    word_embed_proj_dim: D,
    tie_word_embeddings: true,
  },
  phi: {
    architectures: ['PhiForCausalLM'],
    model_type: 'phi',
    hidden_size: D,
    intermediate_size: F,
    num_attention_heads: H,
    num_key_value_heads: H,
    num_hidden_layers: L,
    vocab_size: V,
    max_position_embeddings: 64,
    layer_norm_eps: 1e-5,
    partial_rotary_factor: 0.5,
    rope_theta: 10000,
    hidden_act: 'gelu_new',
    tie_word_embeddings: false,
  },
};

function tensorsOf(family: TinyFamily, seed: number): TensorToWrite[] {
  const r = rand(seed);
  const c = TINY_CONFIGS[family];
  const kv = (c.num_key_value_heads as number | undefined) ?? H;
  const hd = D / H;
  const out: TensorToWrite[] = [];
  const t = (name: string, shape: number[], std: number, mean = 0) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = mean + std * (2 * r() - 1) * Math.sqrt(3);
    out.push({ name, dtype: 'F32', shape, data });
  };
  const lin = (p: string, o: number, i: number, bias: boolean) => {
    t(`${p}.weight`, [o, i], 1 / Math.sqrt(i));
    if (bias) t(`${p}.bias`, [o], 0.1);
  };
  const ln = (p: string, bias: boolean) => {
    t(`${p}.weight`, [D], 0.2, 1);
    if (bias) t(`${p}.bias`, [D], 0.1);
  };
  if (family === 'opt') {
    const p = 'model.decoder';
    t(`${p}.embed_tokens.weight`, [V, D], 1);
    t(`${p}.embed_positions.weight`, [64 + 2, D], 0.5);
    for (let l = 0; l < L; l++) {
      const q = `${p}.layers.${l}`;
      ln(`${q}.self_attn_layer_norm`, true);
      for (const n of ['q', 'k', 'v']) lin(`${q}.self_attn.${n}_proj`, D, D, true);
      lin(`${q}.self_attn.out_proj`, D, D, true);
      ln(`${q}.final_layer_norm`, true);
      lin(`${q}.fc1`, F, D, true);
      lin(`${q}.fc2`, D, F, true);
    }
    ln(`${p}.final_layer_norm`, true);
    return out;
  }
  t('model.embed_tokens.weight', [V, D], 1);
  for (let l = 0; l < L; l++) {
    const q = `model.layers.${l}`;
    if (family === 'phi') {
      ln(`${q}.input_layernorm`, true);
      for (const n of ['q', 'k', 'v']) lin(`${q}.self_attn.${n}_proj`, D, D, true);
      lin(`${q}.self_attn.dense`, D, D, true);
      lin(`${q}.mlp.fc1`, F, D, true);
      lin(`${q}.mlp.fc2`, D, F, true);
    } else {
      const qb = family === 'qwen2';
      ln(`${q}.input_layernorm`, false);
      lin(`${q}.self_attn.q_proj`, H * hd, D, qb);
      lin(`${q}.self_attn.k_proj`, kv * hd, D, qb);
      lin(`${q}.self_attn.v_proj`, kv * hd, D, qb);
      lin(`${q}.self_attn.o_proj`, D, H * hd, false);
      ln(`${q}.post_attention_layernorm`, false);
      lin(`${q}.mlp.gate_proj`, F, D, false);
      lin(`${q}.mlp.up_proj`, F, D, false);
      lin(`${q}.mlp.down_proj`, D, F, false);
    }
  }
  if (family === 'phi') {
    ln('model.final_layernorm', true);
    lin('lm_head', V, D, true);
  } else {
    ln('model.norm', false);
    if (family === 'llama') lin('lm_head', V, D, false);
  }
  return out;
}

/** A fresh temp folder holding a random tiny model of `family`. */
export async function writeRandomModel(family: TinyFamily, seed = 7, opts: { omit?: string; config?: Record<string, unknown> } = {}): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `slice-tiny-${family}-`));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(opts.config ?? TINY_CONFIGS[family]));
  await writeSafetensors(
    join(dir, 'model.safetensors'),
    tensorsOf(family, seed).filter((t) => t.name !== opts.omit),
  );
  return dir;
}
