// Storage formats the planner sizes weights in. Float formats store every element alike; GGUF's
// block quantizations store a row in blocks of 32 or 256 weights, each block a fixed number of bytes
// (a float16 scale plus packed integers), so a format is "bytes per block / weights per block".
//
// GGUF block sizes (ggml-common.h; the GGUF writer reads them from DTYPE_LAYOUT too):
//   q8_0: 32 weights → 34 bytes  (block_q8_0 { ggml_half d; int8_t qs[32]; })      8.5 bits/weight
//   q4_0: 32 weights → 18 bytes  (block_q4_0 { ggml_half d; uint8_t qs[16]; })     4.5 bits/weight
//   q4_k: 256 weights → 144 bytes (fp16 d, fp16 dmin, 12 bytes of 6-bit scales, 128 bytes quants)  4.5
//   q5_k: 256 weights → 176 bytes (fp16 d, fp16 dmin, 12 bytes of scales, 32 bytes high bits, 128 bytes quants)  5.5
//   q6_k: 256 weights → 210 bytes (128 low bits + 64 high bits + 16 int8 scales + fp16 d)         6.5625
//   q5_0: 32 weights → 22 bytes  (fp16 d, 4 bytes high bits, 16 bytes quants; K-quant fallback for q4_k)  5.5
//   q5_1: 32 weights → 24 bytes  (fp16 d and m, 4 bytes high bits, 16 bytes quants; fallback for q5_k)    6
//
// A block never straddles two rows, so a matrix can be block-quantized only when its row length (the
// number of inputs, GGUF's ne0) is a multiple of the block; llama.cpp falls back to another type when it
// is not (ROW_FALLBACK, the one copy of that table: the planner sizes and the GGUF exporter writes by it).

export type Dtype = 'f32' | 'f16' | 'bf16' | 'q8_0' | 'q4_0' | 'q5_0' | 'q5_1' | 'q4_k' | 'q5_k' | 'q6_k';

export interface DtypeLayout {
  /** Weights per block (1 for plain floats). */
  block: number;
  /** Bytes per block. */
  bytes: number;
}

export const DTYPE_LAYOUT: Record<Dtype, DtypeLayout> = {
  f32: { block: 1, bytes: 4 },
  f16: { block: 1, bytes: 2 },
  bf16: { block: 1, bytes: 2 },
  q8_0: { block: 32, bytes: 34 },
  q4_0: { block: 32, bytes: 18 },
  q5_0: { block: 32, bytes: 22 },
  q5_1: { block: 32, bytes: 24 },
  q4_k: { block: 256, bytes: 144 },
  q5_k: { block: 256, bytes: 176 },
  q6_k: { block: 256, bytes: 210 },
};

export const bitsPerWeight = (t: Dtype): number => (DTYPE_LAYOUT[t].bytes * 8) / DTYPE_LAYOUT[t].block;

/**
 * llama.cpp's tensor_type_fallback (src/llama-quant.cpp at 007dbbf): the type a K-quant tensor is written in when
 * its rows do not fill 256-weight blocks. Any type whose block (or its fallback's) still does not fit goes to f16
 * (llama.cpp throws for a Q8_0 that does not fit; our exporter writes F16 there, as it always has).
 */
export const ROW_FALLBACK: Partial<Record<Dtype, Dtype>> = { q4_k: 'q5_0', q5_k: 'q5_1', q6_k: 'q8_0' };

const fits = (t: Dtype, rowLength: number): boolean => rowLength % DTYPE_LAYOUT[t].block === 0;

/** The dtype a row of `rowLength` weights can really be stored in when `t` was asked for. */
export function storableDtype(t: Dtype, rowLength: number): Dtype {
  if (fits(t, rowLength)) return t;
  const next = ROW_FALLBACK[t];
  return next !== undefined && fits(next, rowLength) ? next : 'f16';
}

/** llama-quant.cpp's use_more_bits: the first and last eighth of the layers and every third one between. */
export function useMoreBits(i: number, n: number): boolean {
  const e = Math.trunc(n / 8);
  return i < e || i >= Math.trunc((7 * n) / 8) || (i - e) % 3 === 2;
}

/** Bytes of a rows × rowLength matrix (a vector is 1 × length) stored as `t` (after any fallback). */
export function tensorBytes(rows: number, rowLength: number, t: Dtype): number {
  const real = storableDtype(t, rowLength);
  const { block, bytes } = DTYPE_LAYOUT[real];
  return rows * (rowLength / block) * bytes;
}

export type FormatId = 'fp32' | 'fp16' | 'bf16' | 'q8_0' | 'q4_0' | 'q4_k' | 'q5_k' | 'q6_k' | 'q4_k_m' | 'q5_k_m';

/**
 * How each kind of tensor is stored in one export format. What we assume, role by role:
 * - linear: the blocks' q/k/v/o and MLP matrices, in the format's own type.
 * - shortcut: SliceGPT's d×d residual matrices are ordinary matmuls, so an exporter stores them like the
 *   linears (GGUF has no place for them at all: llama.cpp loads only uniform-rotation slices, which have none).
 * - embedding: quantized like the linears in GGUF (llama.cpp does so: token_embd follows the file type).
 * - head: as the GGUF exporter writes output.weight: q8_0 in a q4_0 file, q6_k in the _M mixtures (llama.cpp's
 *   rule), the file's own type otherwise (the pure K-quants, as `llama-quantize --pure`).
 * - vector: norms and biases, which GGUF always stores as f32 and float exports in their float type.
 */
export interface WeightFormat {
  id: FormatId;
  label: string;
  linear: Dtype;
  shortcut: Dtype;
  embedding: Dtype;
  head: Dtype;
  vector: Dtype;
  /**
   * llama.cpp's _M mixtures: these block tensors (params.ts names) take `dtype` in use_more_bits layers. The
   * role-based form, for sizing a model with no GGUF layout (a per-layer slice); a GGUF file's types come from
   * plan/gguf-types.ts mixtureRule (by GGUF name, with the 70B and output rules this cannot express).
   * test/plan/mixture-more-bits.test.ts holds the two to the same types on the tensors both cover.
   */
  moreBits?: { dtype: Dtype; tensors: readonly string[] };
  /** The sliced width d must be a multiple of this for the format's blocks to tile a row (8 for floats). */
  round: number;
  /** Where files in this format run. */
  runtime: string;
}

const gguf = 'GGUF (llama.cpp, Ollama, LM Studio)';

export const FORMATS: Record<FormatId, WeightFormat> = {
  fp32: { id: 'fp32', label: 'float32', linear: 'f32', shortcut: 'f32', embedding: 'f32', head: 'f32', vector: 'f32', round: 8, runtime: 'ONNX / safetensors' },
  fp16: { id: 'fp16', label: 'float16', linear: 'f16', shortcut: 'f16', embedding: 'f16', head: 'f16', vector: 'f16', round: 8, runtime: 'ONNX / safetensors / GGUF F16' },
  bf16: { id: 'bf16', label: 'bfloat16', linear: 'bf16', shortcut: 'bf16', embedding: 'bf16', head: 'bf16', vector: 'bf16', round: 8, runtime: 'safetensors' },
  q8_0: { id: 'q8_0', label: 'Q8_0 (8-bit)', linear: 'q8_0', shortcut: 'q8_0', embedding: 'q8_0', head: 'q8_0', vector: 'f32', round: 32, runtime: gguf },
  q4_0: { id: 'q4_0', label: 'Q4_0 (4-bit)', linear: 'q4_0', shortcut: 'q4_0', embedding: 'q4_0', head: 'q8_0', vector: 'f32', round: 32, runtime: gguf },
  // The pure K-quants are every matrix in the one type, the head included (llama-quantize --pure, as the exporter writes them).
  q4_k: { id: 'q4_k', label: 'Q4_K (4-bit k-quant)', linear: 'q4_k', shortcut: 'q4_k', embedding: 'q4_k', head: 'q4_k', vector: 'f32', round: 256, runtime: gguf },
  q5_k: { id: 'q5_k', label: 'Q5_K (5-bit k-quant)', linear: 'q5_k', shortcut: 'q5_k', embedding: 'q5_k', head: 'q5_k', vector: 'f32', round: 256, runtime: gguf },
  q6_k: { id: 'q6_k', label: 'Q6_K (6-bit k-quant)', linear: 'q6_k', shortcut: 'q6_k', embedding: 'q6_k', head: 'q6_k', vector: 'f32', round: 256, runtime: gguf },
  // llama.cpp's mixtures (export/gguf/mixture.ts): head Q6_K, attn_v and ffn_down Q6_K in use_more_bits layers.
  q4_k_m: { id: 'q4_k_m', label: 'Q4_K_M (4-bit k-quant mixture)', linear: 'q4_k', shortcut: 'q4_k', embedding: 'q4_k', head: 'q6_k', vector: 'f32', moreBits: { dtype: 'q6_k', tensors: ['v_proj', 'down_proj'] }, round: 256, runtime: gguf },
  q5_k_m: { id: 'q5_k_m', label: 'Q5_K_M (5-bit k-quant mixture)', linear: 'q5_k', shortcut: 'q5_k', embedding: 'q5_k', head: 'q6_k', vector: 'f32', moreBits: { dtype: 'q6_k', tensors: ['v_proj', 'down_proj'] }, round: 256, runtime: gguf },
};

export class FormatError extends Error {
  override name = 'FormatError';
}

const ALIASES: Record<string, FormatId> = {
  fp32: 'fp32',
  f32: 'fp32',
  float32: 'fp32',
  fp16: 'fp16',
  f16: 'fp16',
  float16: 'fp16',
  half: 'fp16',
  bf16: 'bf16',
  bfloat16: 'bf16',
  q8: 'q8_0',
  q8_0: 'q8_0',
  int8: 'q8_0',
  q4: 'q4_0',
  q4_0: 'q4_0',
  int4: 'q4_0',
  q4_k: 'q4_k',
  q4_k_s: 'q4_k',
  q4k: 'q4_k',
  q4_k_m: 'q4_k_m',
  q5_k: 'q5_k',
  q5_k_s: 'q5_k',
  q5k: 'q5_k',
  q5_k_m: 'q5_k_m',
  q6_k: 'q6_k',
  q6k: 'q6_k',
  q6: 'q6_k',
};

/** 'q8' → Q8_0, 'q4' → Q4_0, 'fp16', 'bf16', 'fp32', 'q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m' (case-insensitive). */
export function parseFormat(s: string | WeightFormat): WeightFormat {
  if (typeof s !== 'string') return s;
  const id = ALIASES[s.trim().toLowerCase().replace(/-/g, '_')];
  if (!id) throw new FormatError(`unknown format "${s}": use one of fp32, fp16, bf16, q8 (q8_0), q4 (q4_0), q4_k, q5_k, q6_k, q4_k_m, q5_k_m`);
  return FORMATS[id];
}

/** Formats ordered from most to least compact linears: used to suggest "a more compact format". */
export function moreCompactThan(f: WeightFormat): WeightFormat[] {
  return Object.values(FORMATS)
    .filter((g) => bitsPerWeight(g.linear) < bitsPerWeight(f.linear))
    .sort((a, b) => bitsPerWeight(b.linear) - bitsPerWeight(a.linear));
}
