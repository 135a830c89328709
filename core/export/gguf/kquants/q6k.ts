// Q6_K (ggml type 14): super-blocks of 256 weights in 210 bytes — { uint8 ql[128]; uint8 qh[64]; int8 scales[16];
// half d }, 6.5625 bits per weight, x ≈ d·scale·(q − 32) with one int8 scale per 16 weights.
// quantize_row_q6_K_ref: make_qx_quants(16, 32, ·, rmse_type 1) per 16 weights, scales requantized to int8 by
// −128/(the scale of largest magnitude), then levels recomputed with the stored scales. Per 128 weights, ql byte l
// holds weight l (low) and l+64 (high), ql byte l+32 weights l+32 and l+96; qh byte l the top 2 bits of weights
// l, l+32, l+64, l+96.
import { halfTable, throughHalf, toHalfBits } from '../half';
import { GROUP_MAX_EPS, makeQxQuants, nearestInt } from './scale-search';
import { QK_K } from './scale-min';

const f = Math.fround;
const BYTES = 210;
const L = new Int8Array(QK_K);
const scales = new Float32Array(16);

export function quantizeQ6K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * BYTES);
  const sv = new Int8Array(out.buffer);
  for (let i = 0; i < nb; i++) {
    const o = i * BYTES;
    const xo = i * QK_K;
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib++) {
      const scale = makeQxQuants(16, 32, x.subarray(xo + 16 * ib, xo + 16 * ib + 16), L.subarray(16 * ib, 16 * ib + 16));
      scales[ib] = scale;
      const abs = Math.abs(scale);
      if (abs > maxAbsScale) {
        maxAbsScale = abs;
        maxScale = scale;
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) continue; // an all-zero block: every byte 0 (d = +0)
    const iscale = f(-128 / maxScale);
    const dBits = toHalfBits(f(1 / iscale));
    out[o + 208] = dBits & 0xff;
    out[o + 209] = dBits >> 8;
    for (let ib = 0; ib < 16; ib++) sv[o + 192 + ib] = Math.min(127, nearestInt(f(iscale * scales[ib])));
    const d = throughHalf(f(1 / iscale));
    for (let j = 0; j < 16; j++) {
      const dj = f(d * sv[o + 192 + j]);
      if (!dj) continue;
      for (let ii = 0; ii < 16; ii++) L[16 * j + ii] = Math.max(-32, Math.min(31, nearestInt(f(x[xo + 16 * j + ii] / dj)))) + 32;
    }
    let ql = o;
    let qh = o + 128;
    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) {
        const q1 = L[j + l] & 0xf;
        const q2 = L[j + l + 32] & 0xf;
        const q3 = L[j + l + 64] & 0xf;
        const q4 = L[j + l + 96] & 0xf;
        out[ql + l] = q1 | (q3 << 4);
        out[ql + l + 32] = q2 | (q4 << 4);
        out[qh + l] = (L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) | ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6);
      }
      ql += 64;
      qh += 32;
    }
  }
  return out;
}

/** dequantize_row_q6_K. */
export function dequantizeQ6K(b: Uint8Array, out: Float32Array): void {
  const sv = new Int8Array(b.buffer, b.byteOffset, b.byteLength);
  const nb = out.length / QK_K;
  let y = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * BYTES;
    const d = halfTable[b[o + 208] | (b[o + 209] << 8)];
    let ql = o;
    let qh = o + 128;
    let sc = o + 192;
    for (let n = 0; n < QK_K; n += 128, y += 128, ql += 64, qh += 32, sc += 8) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const q1 = ((b[ql + l] & 0xf) | (((b[qh + l] >> 0) & 3) << 4)) - 32;
        const q2 = ((b[ql + l + 32] & 0xf) | (((b[qh + l] >> 2) & 3) << 4)) - 32;
        const q3 = ((b[ql + l] >> 4) | (((b[qh + l] >> 4) & 3) << 4)) - 32;
        const q4 = ((b[ql + l + 32] >> 4) | (((b[qh + l] >> 6) & 3) << 4)) - 32;
        out[y + l] = f(d * sv[sc + is]) * q1;
        out[y + l + 32] = f(d * sv[sc + is + 2]) * q2;
        out[y + l + 64] = f(d * sv[sc + is + 4]) * q3;
        out[y + l + 96] = f(d * sv[sc + is + 6]) * q4;
      }
    }
  }
}
