// IEEE half precision as ggml stores scales: float32 → half bits rounds to nearest even (toHalfBits, as ggml's
// GGML_FP32_TO_FP16), half bits → float32 by table (GGML_FP16_TO_FP32). K-quant encoders re-read the half they
// just stored (ggml's reference does), so `throughHalf` is part of the quantizers, not only of the checks.
import { toHalfBits } from '../../model/safetensors-writer';

export { toHalfBits };

export const halfTable = (() => {
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return t;
})();

/** The float32 a value becomes after a round trip through half. */
export const throughHalf = (x: number): number => halfTable[toHalfBits(x)];
