// IEEE half precision as ggml stores scales: float32 → half bits rounds to nearest even (toHalfBits, as ggml's
// GGML_FP32_TO_FP16), half bits → float32 by table (GGML_FP16_TO_FP32). K-quant encoders re-read the half they
// just stored (ggml's reference does), so `throughHalf` is part of the quantizers, not only of the checks.
import { toHalfBits } from '../../model/safetensors-writer';
import { halfToFloat } from '../../model/safetensors';

export { toHalfBits };

export const halfTable = halfToFloat;

/** The float32 a value becomes after a round trip through half. */
export const throughHalf = (x: number): number => halfTable[toHalfBits(x)];
