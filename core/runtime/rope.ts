// RoPE tables fed to the attention graphs. Computed the way transformers does (default rope type):
// inv_freq = 1 / θ^(2i/dim) in float32, angle = position · inv_freq in float32, then cos/sin — so the
// rotation matches Hugging Face's to the last bit rather than to 1e-7.
const f = Math.fround;

export interface RopeTables {
  cos: Float32Array;
  sin: Float32Array;
}

export function invFreq(theta: number, rotaryDim: number): Float32Array {
  const half = rotaryDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) out[i] = f(1 / f(Math.pow(theta, f((2 * i) / rotaryDim))));
  return out;
}

/** Tables for positions start … start+len−1: [len, rotaryDim/2] each. */
export function ropeTables(theta: number, rotaryDim: number, start: number, len: number): RopeTables {
  const inv = invFreq(theta, rotaryDim);
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
