// When a K-quant export is refused rather than written with fallbacks. llama.cpp's quantizer never refuses: a
// tensor whose rows do not fill 256-weight blocks falls back to a block-32 type (mixture.ts). We follow it tensor by
// tensor, but when NOT ONE matrix can take the requested K-quant the file would be a Q5_0/Q5_1/Q8_0 file under a
// K-quant name — that is refused, naming the widths that are in the way and the nearest type that fits.
import { GgmlType, type GgufDtype } from './constants';
import { DEFAULT_TYPE, typeBits } from './mixture';

const K_DTYPES: readonly GgufDtype[] = ['q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m'];
const K_TYPES = new Set([GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K]);

export interface Widths {
  /** Residual width d (ne0 of most matrices). */
  width: number;
  sliced: boolean;
  /** MLP width (ne0 of ffn_down). */
  intermediate: number;
  /** heads × head_dim (ne0 of attn_output). */
  headsWidth: number;
}

/** The block-32 dtype (or f16) nearest in bits per weight to `dtype`, among those the width allows. */
export function nearestFittingDtype(dtype: GgufDtype, width: number): GgufDtype {
  if (width % 32 !== 0) return 'f16';
  const bits = typeBits(DEFAULT_TYPE[dtype]);
  const options: GgufDtype[] = ['q4_0', 'q8_0'];
  // Ties go to the larger type: quality over size when the distance is the same.
  return options.reduce((a, b) => (Math.abs(typeBits(DEFAULT_TYPE[b]) - bits) <= Math.abs(typeBits(DEFAULT_TYPE[a]) - bits) ? b : a));
}

/** Null when the export may go ahead; else the one-line reason with the nearest valid choice. */
export function kquantRefusal(dtype: GgufDtype, tensors: readonly { type: GgmlType; ne: number[] }[], w: Widths): string | null {
  if (!K_DTYPES.includes(dtype)) return null;
  if (tensors.some((t) => t.ne.length === 2 && K_TYPES.has(t.type))) return null;
  const nearest = nearestFittingDtype(dtype, w.width);
  const round = Math.floor(w.width / 256) * 256;
  const slice = w.sliced ? (round >= 256 ? `, or slice again with d rounded to a multiple of 256 (${round}: --round 256)` : '') : '';
  return `${dtype} needs matrix rows in multiples of 256, and none of this model's has them (residual width ${w.width}, MLP width ${w.intermediate}, attention width ${w.headsWidth}); nearest valid choice: --dtype ${nearest}${slice}`;
}
