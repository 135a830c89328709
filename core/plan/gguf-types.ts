// Which type each tensor of a GGUF file gets, per export type — for the K-quants the choices llama.cpp's own
// quantizer makes (ggml-org/llama.cpp src/llama-quant.cpp at 007dbbf, read 2026-12-06: llama_tensor_get_type →
// llama_tensor_get_type_impl → tensor_type_fallback) — and the tensor list the planner sizes a GGUF file by.
// The exporter (export/gguf/mixture.ts) and the planner (memory.ts) both call ggufTensorDtype, so what is
// planned is what is written; the tests hold both to llama.cpp's rules.
//
// q4_k, q5_k, q6_k — every matrix in the one type, as `llama-quantize --pure` (llama_tensor_get_type skips
//   llama_tensor_get_type_impl when params->pure), file type Q4_K_S / Q5_K_S / Q6_K.
// q4_k_m, q5_k_m — llama_tensor_get_type_impl for a dense (n_expert ≤ 1), non-Falcon model:
//   · output.weight, and token_embd.weight when the file has no output.weight (init_quantize_state_counters:
//     has_tied_embeddings stays true until a tensor named output.weight is seen, over the whole list before any
//     type is chosen; "category == OUTPUT || (has_tied_embeddings && category == TOKEN_EMBD)"): Q8_0 if ne0 is
//     not a multiple of the default type's block (256), else Q6_K;
//   · token_embd.weight beside an output.weight: the default type (no TOKEN_EMBD rule names Q4_K_M/Q5_K_M);
//   · attn_v.weight and attn_qkv.weight (category_is_attn_v: a fused qkv counts as attn_v, and that branch comes
//     first, so the later ATTENTION_QKV branch — Q5_K/Q6_K for the whole qkv — is never reached): Q6_K where
//     use_more_bits(i, n), i the count of attn_v-like tensors seen so far — the layer index, because
//     llama_model_loader's weights_map sorts by layer — else the default; then, when the loader typed the model
//     LLM_TYPE_70B, Q3_K/Q4_K become Q5_K. LLM_TYPE_70B is per architecture (src/models/<arch>.cpp
//     load_arch_hparams): llama with 80 layers and n_head ≠ n_head_kv (Llama-2/3.x-70B; 80 layers without GQA is
//     65B), qwen2 with 80 layers whatever its heads (Qwen2-72B), never qwen3 (≤ 64 layers typed) or phi3;
//   · ffn_down.weight: Q6_K where use_more_bits(layer, n_layer) (n_layer = n_layer_all), else the default;
//   · attn_q/attn_k/attn_output, ffn_gate, ffn_up (a fused gate+up is named ffn_up: FFN_UP): the default — their
//     rules name other file types, or n_expert == 8, or Falcon.
// Every type then passes tensor_type_fallback: a row length (ne0) that is not a multiple of the type's block
// falls back Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, and to F16 when even that block (32) does not fit —
// formats.ts ROW_FALLBACK / storableDtype.
// q8_0, q4_0, f16, f32 keep this exporter's own rules: every matrix in the type, output.weight (and a tied
// token_embd that stands for it) Q8_0 in a q4_0 file — llama.cpp would pick Q6_K there —, F16 for rows that are
// not a multiple of 32.
import type { ModelConfig } from '../model/config';
import { family } from '../model/families/index';
import { architectureFor, type GgufArch } from './gguf-architectures';
import { DTYPE_LAYOUT, storableDtype, useMoreBits, type Dtype } from './formats';

/** The `--dtype`s of a GGUF export (export/gguf/constants.ts GgufDtype is this type). */
export type GgufFileType = 'f32' | 'f16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q5_k' | 'q6_k' | 'q4_k_m' | 'q5_k_m';

/** What llama.cpp's quantizer knows of the model when it picks types. */
export interface GgufQuantModel {
  /** general.architecture as written (a uniform slice of qwen2/phi3 is llama: gguf-architectures.ts). */
  arch: GgufArch;
  layers: number;
  heads: number;
  kvHeads: number;
  /** No output.weight in the file: token_embd is the head and takes the output rule. */
  tiedOutput: boolean;
}

/** The type most matrices get (llama_ftype_get_default_type). */
export const DEFAULT_DTYPE: Record<GgufFileType, Dtype> = { f32: 'f32', f16: 'f16', q8_0: 'q8_0', q4_0: 'q4_0', q4_k: 'q4_k', q5_k: 'q5_k', q6_k: 'q6_k', q4_k_m: 'q4_k', q5_k_m: 'q5_k' };

/** llama.cpp's LLM_TYPE_70B, as each architecture's load_arch_hparams types a model by its layer count. */
export function isLlamaCpp70B(m: Pick<GgufQuantModel, 'arch' | 'layers' | 'heads' | 'kvHeads'>): boolean {
  if (m.layers !== 80) return false;
  if (m.arch === 'llama') return m.heads !== m.kvHeads;
  return m.arch === 'qwen2';
}

/**
 * llama_tensor_get_type_impl's choice for Q4_K_M / Q5_K_M (before the row fallback). formats.ts FORMATS[file].moreBits
 * says the attn_v/ffn_down part of it by role, for models sized without a GGUF layout; the two answer different
 * questions (this one also needs the quantizer's model: 70B, a tied output), and
 * test/plan/mixture-more-bits.test.ts holds them to the same types where both answer.
 */
function mixtureRule(file: 'q4_k_m' | 'q5_k_m', name: string, ne0: number, m: GgufQuantModel): Dtype {
  const base = DEFAULT_DTYPE[file];
  if (name === 'output.weight' || (m.tiedOutput && name === 'token_embd.weight')) return ne0 % DTYPE_LAYOUT[base].block !== 0 ? 'q8_0' : 'q6_k';
  const layer = /^blk\.(\d+)\./.exec(name);
  if (!layer) return base;
  const i = Number(layer[1]);
  if (name.endsWith('.attn_v.weight') || name.endsWith('.attn_qkv.weight')) {
    const t = useMoreBits(i, m.layers) ? 'q6_k' : base;
    return isLlamaCpp70B(m) && t === 'q4_k' ? 'q5_k' : t;
  }
  if (name.endsWith('.ffn_down.weight')) return useMoreBits(i, m.layers) ? 'q6_k' : base;
  return base;
}

/** The type of the 2-D tensor `name` (GGUF's name) whose rows have ne0 elements in a `file` export: what the
 * rules ask for (`wanted`) and what a row of ne0 can really be stored in (`type`). */
export function ggufTensorDtype(file: GgufFileType, name: string, ne0: number, m: GgufQuantModel): { wanted: Dtype; type: Dtype } {
  let wanted: Dtype;
  switch (file) {
    case 'f32':
    case 'f16':
    case 'q4_k':
    case 'q5_k':
    case 'q6_k':
      wanted = DEFAULT_DTYPE[file];
      break;
    case 'q8_0':
    case 'q4_0':
      // Like llama.cpp's own Q4_0 files keep the output projection at more bits: it matters most for quality.
      wanted = file === 'q8_0' || name === 'output.weight' || (m.tiedOutput && name === 'token_embd.weight') ? 'q8_0' : 'q4_0';
      break;
    case 'q4_k_m':
    case 'q5_k_m':
      wanted = mixtureRule(file, name, ne0, m);
  }
  const type = storableDtype(wanted, ne0);
  return { wanted, type: oneBlockRow(type, ne0) ? 'f16' : type };
}

/** Types llama.cpp's AMX kernels take (ggml-cpu/amx qtype_has_amx_kernels, the row fallbacks can land on). */
const AMX_TYPES: ReadonlySet<Dtype> = new Set<Dtype>(['q8_0', 'q4_0']);

/**
 * A Q8_0/Q4_0 matrix whose rows are one 32-weight block is written F16. llama.cpp's AMX kernels (the CPU backend
 * on Sapphire Rapids and later Xeons, chosen for batches of ≥ 32 tokens) multiply such a matrix wrongly and
 * nondeterministically: a tiny-stories slice at width 32 written Q8_0 scored perplexity 6,775–21,589 in llama.cpp
 * at batch 256 against 187.5 at batch ≤ 16 and 187.3 in the app (docs/DECISIONS.md). Only toy widths have such
 * rows (a real model's rows are ≥ 2048), so the rule costs real exports nothing.
 */
export function oneBlockRow(t: Dtype, ne0: number): boolean {
  return AMX_TYPES.has(t) && ne0 === 32;
}

/** The quantizer's view of a model written at residual width `width` (null: no GGUF architecture holds it). */
export function ggufQuantModel(c: ModelConfig, width: number, sliced: boolean): (GgufQuantModel & { fused: boolean; ropeFreqs: number }) | null {
  const own = family(c.family).gguf;
  if (own === null || c.rope === null) return null;
  const choice = architectureFor(own, { width, attentionWidth: c.numHeads * c.headDim, qkvBias: c.attentionBias, oBias: c.attentionOutBias, mlpBias: c.mlpBias });
  if (choice.refusal) return null;
  const a = choice.arch;
  return {
    arch: a.id,
    fused: a.fused,
    layers: c.numLayers,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    // export/gguf/index.ts: a dense tied head is token_embd itself where the graph allows it; a slice's head has
    // the final norm folded in, so it is written as output.weight.
    tiedOutput: c.tieWordEmbeddings && !sliced && a.optionalOutput,
    // Llama-3.x: rope_freqs.weight, F32, one factor per rotary pair (export/gguf/rope-freqs.ts).
    ropeFreqs: c.rope.type === 'llama3' ? c.rope.rotaryDim / 2 : 0,
  };
}

/** A planner tensor (params.ts names) as the GGUF tensor it is written in: fused parts share phi3's names. */
const LAYER_NAMES: Record<string, string> = {
  'input_layernorm.weight': 'attn_norm.weight',
  q_proj: 'attn_q.weight',
  k_proj: 'attn_k.weight',
  v_proj: 'attn_v.weight',
  'q_proj.bias': 'attn_q.bias',
  'k_proj.bias': 'attn_k.bias',
  'v_proj.bias': 'attn_v.bias',
  q_norm: 'attn_q_norm.weight',
  k_norm: 'attn_k_norm.weight',
  o_proj: 'attn_output.weight',
  'o_proj.bias': 'attn_output.bias',
  'post_attention_layernorm.weight': 'ffn_norm.weight',
  gate_proj: 'ffn_gate.weight',
  up_proj: 'ffn_up.weight',
  down_proj: 'ffn_down.weight',
  'gate_proj.bias': 'ffn_gate.bias',
  'up_proj.bias': 'ffn_up.bias',
  'down_proj.bias': 'ffn_down.bias',
};
const FUSED: Record<string, string> = { q_proj: 'attn_qkv.weight', k_proj: 'attn_qkv.weight', v_proj: 'attn_qkv.weight', gate_proj: 'ffn_up.weight', up_proj: 'ffn_up.weight' };
const OUTER_NAMES: Record<string, string> = { embed_tokens: 'token_embd.weight', 'final_norm.weight': 'output_norm.weight', lm_head: 'output.weight' };

/** The GGUF name of planner tensor `name` in layer `layer` (null: outside the blocks), or null when GGUF has none. */
export function ggufName(name: string, layer: number | null, fused: boolean): string | null {
  if (layer === null) return OUTER_NAMES[name] ?? null;
  const n = (fused ? FUSED[name] : undefined) ?? LAYER_NAMES[name];
  return n === undefined ? null : `blk.${layer}.${n}`;
}
