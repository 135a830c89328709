// GGUF v3 (ggml-org/ggml docs/gguf.md) and the ggml/llama.cpp enums a llama-family export needs.
import type { GgufFileType } from '../../plan/gguf-types';
import { DTYPE_LAYOUT, type Dtype } from '../../plan/formats';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian uint32
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;
/** GGML_QNT_VERSION: the block layouts below (Q4_0/Q8_0 as of ggml's quantization version 2). */
export const GGML_QUANT_VERSION = 2;

/** gguf_metadata_value_type */
export enum ValueType {
  UINT8 = 0,
  INT8 = 1,
  UINT16 = 2,
  INT16 = 3,
  UINT32 = 4,
  INT32 = 5,
  FLOAT32 = 6,
  BOOL = 7,
  STRING = 8,
  ARRAY = 9,
  UINT64 = 10,
  INT64 = 11,
  FLOAT64 = 12,
}

/** ggml_type (only those written here). */
export enum GgmlType {
  F32 = 0,
  F16 = 1,
  Q4_0 = 2,
  Q5_0 = 6,
  Q5_1 = 7,
  Q8_0 = 8,
  Q4_K = 12,
  Q5_K = 13,
  Q6_K = 14,
}

/** Each ggml type as the planner names it (plan/formats.ts holds the block layouts and the row fallbacks). */
export const GGML_DTYPE: Record<GgmlType, Dtype> = {
  [GgmlType.F32]: 'f32',
  [GgmlType.F16]: 'f16',
  [GgmlType.Q4_0]: 'q4_0',
  [GgmlType.Q8_0]: 'q8_0',
  [GgmlType.Q5_0]: 'q5_0',
  [GgmlType.Q5_1]: 'q5_1',
  [GgmlType.Q4_K]: 'q4_k',
  [GgmlType.Q5_K]: 'q5_k',
  [GgmlType.Q6_K]: 'q6_k',
};
const TYPES = Object.keys(GGML_DTYPE).map(Number) as GgmlType[];
/** The ggml type of a planner dtype (bf16 has none here). */
export const dtypeGgml = (t: Dtype): GgmlType => {
  const g = TYPES.find((x) => GGML_DTYPE[x] === t);
  if (g === undefined) throw new Error(`no ggml type written for ${t}`);
  return g;
};

/** Elements per block and bytes per block of each tensor type: the planner's table (plan/formats.ts), the one list of block layouts. */
export const BLOCK = Object.fromEntries(TYPES.map((g) => [g, { size: DTYPE_LAYOUT[GGML_DTYPE[g]].block, bytes: DTYPE_LAYOUT[GGML_DTYPE[g]].bytes }])) as Record<GgmlType, { size: number; bytes: number }>;

/** llama_ftype (general.file_type): what most of the weights are. */
export enum FileType {
  ALL_F32 = 0,
  MOSTLY_F16 = 1,
  MOSTLY_Q4_0 = 2,
  MOSTLY_Q8_0 = 7,
  MOSTLY_Q4_K_S = 14,
  MOSTLY_Q4_K_M = 15,
  MOSTLY_Q5_K_S = 16,
  MOSTLY_Q5_K_M = 17,
  MOSTLY_Q6_K = 18,
}

/** llama_token_type (tokenizer.ggml.token_type). */
export enum TokenType {
  NORMAL = 1,
  UNKNOWN = 2,
  CONTROL = 3,
  USER_DEFINED = 4,
  UNUSED = 5,
  BYTE = 6,
}

export type GgufDtype = GgufFileType;

export function tensorBytes(type: GgmlType, elements: number): number {
  const b = BLOCK[type];
  return (elements / b.size) * b.bytes;
}
