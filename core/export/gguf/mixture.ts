// Which ggml type each matrix of a GGUF export gets: llama.cpp's quantizer rules, written once in
// plan/gguf-types.ts (ggufTensorDtype, which the planner sizes files by too) and cited rule by rule there; this
// file speaks ggml's enums (file types, GgmlType) for the writer.
import { BLOCK, dtypeGgml, FileType, GGML_DTYPE, GgmlType, type GgufDtype } from './constants';
import { storableDtype } from '../../plan/formats';
import { DEFAULT_DTYPE, ggufTensorDtype, type GgufQuantModel } from '../../plan/gguf-types';

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
export const DEFAULT_TYPE = Object.fromEntries(Object.entries(DEFAULT_DTYPE).map(([k, t]) => [k, dtypeGgml(t)])) as Record<GgufDtype, GgmlType>;

/** What llama.cpp's quantizer knows of the model (architecture as written, layers, heads, a tied output). */
export type MixtureModel = GgufQuantModel;

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

/** The type of the 2-D tensor `name` whose rows have ne0 elements in a `dtype` export. */
export function tensorType(dtype: GgufDtype, name: string, ne0: number, m: MixtureModel): TensorType {
  const t = ggufTensorDtype(dtype, name, ne0, m);
  return { type: dtypeGgml(t.type), wanted: dtypeGgml(t.wanted) };
}

/** Bits per weight of a type (block bytes × 8 / block size). */
export const typeBits = (t: GgmlType): number => (BLOCK[t].bytes * 8) / BLOCK[t].size;
