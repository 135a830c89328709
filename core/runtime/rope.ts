// RoPE tables fed to the attention graphs. Computed the way transformers does (default rope type):
// inv_freq = 1 / θ^(2i/dim) in float32, angle = position · inv_freq in float32, then cos/sin — so the
// rotation matches Hugging Face's to the last bit rather than to 1e-7. Llama-3's "llama3" type rescales
// inv_freq once (llama3InvFreq); positions and tables are then computed the same way.
import type { Llama3Rope } from '../model/model-source';

const f = Math.fround;

export interface RopeTables {
  cos: Float32Array;
  sin: Float32Array;
}

export function invFreq(theta: number, rotaryDim: number, llama3?: Llama3Rope): Float32Array {
  const half = rotaryDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = f(1 / f(Math.pow(theta, f((2 * i) / rotaryDim))));
  return llama3 ? llama3InvFreq(out, llama3) : out;
}

/**
 * transformers' `_compute_llama3_parameters`, op for op in float32 (torch computes each step of it on a float32
 * tensor, Python scalars cast to float32): wavelengths shorter than original/high_freq_factor keep their
 * frequency, longer than original/low_freq_factor divide it by `factor`, and the band between interpolates.
 */
export function llama3InvFreq(inv: Float32Array, s: Llama3Rope): Float32Array {
  const lowWavelen = f(s.originalMaxPositions / s.lowFreqFactor);
  const highWavelen = f(s.originalMaxPositions / s.highFreqFactor);
  const out = new Float32Array(inv.length);
  for (let i = 0; i < inv.length; i++) {
    const wavelen = f(f(2 * Math.PI) / inv[i]);
    const scaled = wavelen > lowWavelen ? f(inv[i] / f(s.factor)) : inv[i];
    if (wavelen < highWavelen || wavelen > lowWavelen) {
      out[i] = scaled;
      continue;
    }
    const smooth = f(f(f(f(s.originalMaxPositions) / wavelen) - f(s.lowFreqFactor)) / f(s.highFreqFactor - s.lowFreqFactor));
    out[i] = f(f(f(f(1 - smooth) * scaled) / f(s.factor)) + f(smooth * scaled));
  }
  return out;
}

/** Tables for positions start … start+len−1: [len, rotaryDim/2] each; `llama3`: Llama-3's rescaled frequencies. */
export function ropeTables(theta: number, rotaryDim: number, start: number, len: number, llama3?: Llama3Rope): RopeTables {
  const inv = invFreq(theta, rotaryDim, llama3);
  const half = inv.length;
  const cos = new Float32Array(len * half);
  const sin = new Float32Array(len * half);
  for (let p = 0; p < len; p++) {
    for (let i = 0; i < half; i++) {
      const a = f((start + p) * inv[i]);
      cos[p * half + i] = Math.cos(a);
      sin[p * half + i] = Math.sin(a);
    }
  }
  return { cos, sin };
}

/** A large negative instead of −∞: finite on every EP, and exp() of it is exactly 0. */
export const MASKED = -1e30;

/** Causal mask [len, past+len]: query i (absolute position past+i) sees keys 0 … past+i. */
export function causalMask(past: number, len: number): Float32Array {
  const t = past + len;
  const m = new Float32Array(len * t);
  for (let i = 0; i < len; i++) m.fill(MASKED, i * t + past + i + 1, (i + 1) * t);
  return m;
}
