// The part Q4_K and Q5_K share (ggml-quants.c quantize_row_q4_K_ref / quantize_row_q5_K_ref): a super-block of
// 256 weights is 8 sub-blocks of 32, each x ≈ d·sc·q − dmin·m with a 6-bit scale sc and 6-bit min m, packed
// into 12 bytes (get_scale_min_k4's layout: sub-blocks 0–3 in the low 6 bits of bytes 0–3 / 4–7, sub-blocks
// 4–7 in the nibbles of bytes 8–11 with their top 2 bits in the spare top bits of bytes 0–7).
import { halfTable, throughHalf, toHalfBits } from '../half';
import { makeQkx2Quants, nearestInt } from './scale-search';

const f = Math.fround;
export const QK_K = 256;

/** get_scale_min_k4: the 6-bit scale and min of sub-block j from the 12 packed bytes at `q[o]`. */
export function scaleMinK4(j: number, q: Uint8Array, o: number): [number, number] {
  if (j < 4) return [q[o + j] & 63, q[o + j + 4] & 63];
  return [(q[o + j + 4] & 0xf) | ((q[o + j - 4] >> 6) << 4), (q[o + j + 4] >> 4) | ((q[o + j] >> 6) << 4)];
}

export interface ScaleMinSearch {
  /** Largest level (15 for Q4_K, 31 for Q5_K). */
  nmax: number;
  rmin: number;
  nstep: number;
}

// Scratch reused across blocks (one export quantizes on one thread).
const weights = new Float32Array(32);
const Laux = new Uint8Array(32);
const scales = new Float32Array(8);
const mins = new Float32Array(8);

/**
 * Quantize the 256 values of `x` from `xo`: writes d (half) at out[o], dmin at out[o+2], the 12 scale bytes at
 * out[o+4..o+16], and the levels 0..nmax into L[0..256].
 */
export function quantizeScaleMin(x: Float32Array, xo: number, s: ScaleMinSearch, out: Uint8Array, o: number, L: Uint8Array): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    const sub = x.subarray(xo + 32 * j, xo + 32 * j + 32);
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f(sumX2 + f(sub[l] * sub[l]));
    const avX = f(Math.sqrt(f(sumX2 / 32)));
    for (let l = 0; l < 32; l++) weights[l] = f(avX + Math.abs(sub[l]));
    const [scale, min] = makeQkx2Quants(32, s.nmax, sub, weights, L.subarray(32 * j, 32 * j + 32), Laux, s.rmin, f(0.1), s.nstep);
    scales[j] = scale;
    mins[j] = min;
    if (scale > maxScale) maxScale = scale;
    if (min > maxMin) maxMin = min;
  }
  const invScale = maxScale > 0 ? f(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f(63 / maxMin) : 0;
  const sc = o + 4;
  for (let j = 0; j < 8; j++) {
    // uint8_t ls = nearest_int(...): the C conversion keeps the low 8 bits before MIN(63, ·).
    const ls = Math.min(63, nearestInt(f(invScale * scales[j])) & 0xff);
    const lm = Math.min(63, nearestInt(f(invMin * mins[j])) & 0xff);
    if (j < 4) {
      out[sc + j] = ls;
      out[sc + j + 4] = lm;
    } else {
      out[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      out[sc + j - 4] |= (ls >> 4) << 6;
      out[sc + j] |= (lm >> 4) << 6;
    }
  }
  const dBits = toHalfBits(f(maxScale / 63));
  const dminBits = toHalfBits(f(maxMin / 63));
  out[o] = dBits & 0xff;
  out[o + 1] = dBits >> 8;
  out[o + 2] = dminBits & 0xff;
  out[o + 3] = dminBits >> 8;
  const d = throughHalf(f(maxScale / 63));
  const dmin = throughHalf(f(maxMin / 63));
  for (let j = 0; j < 8; j++) {
    const [scj, mj] = scaleMinK4(j, out, sc);
    const dj = f(d * scj);
    if (!dj) continue; // the reference keeps the search's levels for a zero scale
    const dm = f(dmin * mj);
    for (let ii = 0; ii < 32; ii++) L[32 * j + ii] = Math.max(0, Math.min(s.nmax, nearestInt(f(f(x[xo + 32 * j + ii] + dm) / dj))));
  }
}

/**
 * For dequantizing: the scales and mins of sub-blocks `is` and `is + 1` of the super-block at b[o] — d·sc and
 * dmin·m, in float32 as dequantize_row_q4_K / _q5_K compute them.
 */
export function subBlockScales(b: Uint8Array, o: number, is: number): [number, number, number, number] {
  const d = halfTable[b[o] | (b[o + 1] << 8)];
  const min = halfTable[b[o + 2] | (b[o + 3] << 8)];
  const [sc1, m1] = scaleMinK4(is, b, o + 4);
  const [sc2, m2] = scaleMinK4(is + 1, b, o + 4);
  return [f(d * sc1), f(min * m1), f(d * sc2), f(min * m2)];
}
