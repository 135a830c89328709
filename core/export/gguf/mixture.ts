// Which ggml type each matrix of a llama-architecture GGUF gets, per export dtype — for the K-quants, the choices
// llama.cpp's own quantizer makes (ggml-org/llama.cpp src/llama-quant.cpp at 007dbbf, read 2026-12-06):
//
// q4_k, q5_k, q6_k — every matrix in the one type, as `llama-quantize --pure` (llama_tensor_get_type skips
//   llama_tensor_get_type_impl when params->pure), file type Q4_K_S / Q5_K_S / Q6_K. (llama-quantize's own names
//   "Q4_K"/"Q5_K" are aliases of the _M mixtures; ours are the pure types, the mixtures are q4_k_m/q5_k_m.)
// q4_k_m, q5_k_m — llama_tensor_get_type_impl for a dense (n_expert ≤ 1), non-Falcon model with an output.weight
//   (so has_tied_embeddings is false: init_quantize_state_counters):
//   · output.weight: Q8_0 if its ne0 is not a multiple of the default type's block (256), else Q6_K
//     ("category == OUTPUT … nx % qk_k != 0 → Q8_0 … else if new_type != Q8_0 → Q6_K");
//   · token_embd.weight: the default type (no TOKEN_EMBD rule applies to Q4_K_M/Q5_K_M);
//   · attn_v.weight: Q6_K where use_more_bits(i, n) — i < n/8 || i ≥ 7n/8 || (i − n/8) % 3 == 2, i the count of
//     attn_v tensors seen so far, which is the layer index because llama_model_loader's weights_map sorts by
//     layer (weight_name_comparer) — else the default; then, for a 70B llama (80 layers, n_head ≠ n_head_kv:
//     llama-model.cpp's LLM_TYPE_70B), Q4_K becomes Q5_K;
//   · ffn_down.weight: Q6_K where use_more_bits(layer, n_layer), else the default;
//   · attn_q/k/output, ffn_gate/up: the default (their rules name other file types).
// Then every type passes tensor_type_fallback: a row length (ne0) that is not a multiple of the type's block
// falls back Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, and to F16 when even that block (32) does not fit — the
// table is plan/formats.ts ROW_FALLBACK, which the planner sizes by (use_more_bits lives there too).
// q8_0, q4_0, f16, f32 keep this exporter's earlier rules: every matrix in the type, output.weight Q8_0 in a
// q4_0 file, F16 for rows that are not a multiple of 32.
import { BLOCK, dtypeGgml, FileType, GGML_DTYPE, GgmlType, type GgufDtype } from './constants';
import { storableDtype, useMoreBits } from '../../plan/formats';

export const FILE_TYPES: Record<GgufDtype, FileType> = {
  f32: FileType.ALL_F32,
  f16: FileType.MOSTLY_F16,
  q8_0: FileType.MOSTLY_Q8_0,
  q4_0: FileType.MOSTLY_Q4_0,
  q4_k: FileType.MOSTLY_Q4_K_S,
  q5_k: FileType.MOSTLY_Q5_K_S,
  q6_k: FileType.MOSTLY_Q6_K,
  q4_k_m: FileType.MOSTLY_Q4_K_M,
  q5_k_m: FileType.MOSTLY_Q5_K_M,
};

/** The type most matrices get (llama_ftype_get_default_type). */
export const DEFAULT_TYPE: Record<GgufDtype, GgmlType> = {
  f32: GgmlType.F32,
  f16: GgmlType.F16,
  q8_0: GgmlType.Q8_0,
  q4_0: GgmlType.Q4_0,
  q4_k: GgmlType.Q4_K,
  q5_k: GgmlType.Q5_K,
  q6_k: GgmlType.Q6_K,
  q4_k_m: GgmlType.Q4_K,
  q5_k_m: GgmlType.Q5_K,
};

export interface MixtureModel {
  layers: number;
  heads: number;
  kvHeads: number;
}

export interface TensorType {
  /** What is written. */
  type: GgmlType;
  /** What the dtype's rules asked for before the row-length fallback (equal to type when none was needed). */
  wanted: GgmlType;
}

/** tensor_type_fallback (plan/formats.ts ROW_FALLBACK, and F16 when the fallback's block does not fit either). */
export function fallbackType(type: GgmlType, ne0: number): GgmlType {
  return dtypeGgml(storableDtype(GGML_DTYPE[type], ne0));
}

function mixtureRule(dtype: GgufDtype, name: string, ne0: number, m: MixtureModel): GgmlType {
  const base = DEFAULT_TYPE[dtype];
  if (name === 'output.weight') return ne0 % BLOCK[base].size !== 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
  const layer = /^blk\.(\d+)\./.exec(name);
  if (!layer) return base;
  const i = Number(layer[1]);
  // llama-quant.cpp's category_is_attn_v: a fused attn_qkv (phi3) is counted and treated as attn_v.
  if (name.endsWith('.attn_v.weight') || name.endsWith('.attn_qkv.weight')) {
    const t = useMoreBits(i, m.layers) ? GgmlType.Q6_K : base;
    const is70B = m.layers === 80 && m.heads !== m.kvHeads;
    return is70B && t === GgmlType.Q4_K ? GgmlType.Q5_K : t;
  }
  if (name.endsWith('.ffn_down.weight')) return useMoreBits(i, m.layers) ? GgmlType.Q6_K : base;
  return base;
}

/** The type of the 2-D tensor `name` whose rows have ne0 elements in a `dtype` export. */
export function tensorType(dtype: GgufDtype, name: string, ne0: number, m: MixtureModel): TensorType {
  switch (dtype) {
    case 'f32':
    case 'f16':
      return { type: DEFAULT_TYPE[dtype], wanted: DEFAULT_TYPE[dtype] };
    case 'q8_0':
    case 'q4_0': {
      // Like llama.cpp's own Q4_0 files keep the output projection at more bits: it matters most for quality.
      const wanted = dtype === 'q8_0' || name === 'output.weight' ? GgmlType.Q8_0 : GgmlType.Q4_0;
      return { type: ne0 % 32 === 0 ? wanted : GgmlType.F16, wanted };
    }
    case 'q4_k':
    case 'q5_k':
    case 'q6_k':
      return { type: fallbackType(DEFAULT_TYPE[dtype], ne0), wanted: DEFAULT_TYPE[dtype] };
    case 'q4_k_m':
    case 'q5_k_m': {
      const wanted = mixtureRule(dtype, name, ne0, m);
      return { type: fallbackType(wanted, ne0), wanted };
    }
  }
}

/** Bits per weight of a type (block bytes × 8 / block size). */
export const typeBits = (t: GgmlType): number => (BLOCK[t].bytes * 8) / BLOCK[t].size;
