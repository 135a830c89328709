// Llama-3.x's `rope_type: "llama3"` in GGUF: llama.cpp has no metadata key for it. convert_hf_to_gguf.py
// (LlamaModel.generate_extra_tensors) writes instead one F32 tensor `rope_freqs.weight` of head_dim/2
// per-pair factors, and the llama graph divides each base frequency θ^(−2i/head_dim) by its factor (ggml_rope_ext's
// freq_factors). No rope.scaling.* key is written for llama3 (the converter writes those only for linear).
// The factors are the converter's: 1 for wavelengths below original/high_freq_factor, `factor` above
// original/low_freq_factor, and 1/((1 − s)/factor + s) between — exactly base/rescaled frequency of
// transformers' _compute_llama3_parameters, which the app runs (runtime/rope.ts).
import type { Llama3Rope } from '../../model/model-source';

export const ROPE_FREQS_TENSOR = 'rope_freqs.weight';

/** The converter's per-pair divisors of the base frequencies (head_dim/2 values, float64 then stored F32). */
export function llama3RopeFactors(theta: number, headDim: number, s: Llama3Rope): Float32Array {
  const lowWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highWavelen = s.originalMaxPositions / s.highFreqFactor;
  const out = new Float32Array(headDim / 2);
  for (let i = 0; i < out.length; i++) {
    // torch.arange(0, dim, 2, float32) / dim and base ** that in float32, as the converter computes freqs.
    const freq = Math.fround(1 / Math.fround(Math.pow(theta, Math.fround((2 * i) / headDim))));
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = s.factor;
    else {
      const smooth = (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
      out[i] = 1 / ((1 - smooth) / s.factor + smooth);
    }
  }
  return out;
}
