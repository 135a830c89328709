// Q4_K (ggml type 12): super-blocks of 256 weights in 144 bytes — { half d, dmin; uint8 scales[12]; uint8 qs[128] },
// 4.5 bits per weight. quantize_row_q4_K_ref's search (levels 0..15, trial scales (−1 + 0.1·is + 15)/(max−min),
// is = 0..20); nibbles packed per 64 weights: byte l holds weight l (low) and weight l+32 (high).
import { QK_K, quantizeScaleMin, subBlockScales } from './scale-min';

const BYTES = 144;
const L = new Uint8Array(QK_K);

export function quantizeQ4K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * BYTES);
  for (let i = 0; i < nb; i++) {
    const o = i * BYTES;
    quantizeScaleMin(x, i * QK_K, { nmax: 15, rmin: -1, nstep: 20 }, out, o, L);
    let q = o + 16;
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) out[q + l] = L[j + l] | (L[j + l + 32] << 4);
      q += 32;
    }
  }
  return out;
}

/** dequantize_row_q4_K. */
export function dequantizeQ4K(b: Uint8Array, out: Float32Array): void {
  const f = Math.fround;
  const nb = out.length / QK_K;
  let y = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * BYTES;
    let q = o + 16;
    for (let j = 0, is = 0; j < QK_K; j += 64, is += 2, q += 32) {
      const [d1, mm1, d2, mm2] = subBlockScales(b, o, is);
      for (let l = 0; l < 32; l++) out[y++] = f(d1 * (b[q + l] & 0xf)) - mm1;
      for (let l = 0; l < 32; l++) out[y++] = f(d2 * (b[q + l] >> 4)) - mm2;
    }
  }
}
