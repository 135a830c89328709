// Q5_K (ggml type 13): super-blocks of 256 weights in 176 bytes — { half d, dmin; uint8 scales[12]; uint8 qh[32];
// uint8 qs[128] }, 5.5 bits per weight. quantize_row_q5_K_ref's search (levels 0..31, trial scales
// (−0.5 + 0.1·is + 31)/(max−min), is = 0..15); low nibbles as Q4_K, the fifth bits in qh: for the 64-weight
// chunk c, weight l sets bit 2c of qh[l] and weight l+32 bit 2c+1.
import { QK_K, quantizeScaleMin, subBlockScales } from './scale-min';

const BYTES = 176;
const L = new Uint8Array(QK_K);

export function quantizeQ5K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * BYTES);
  for (let i = 0; i < nb; i++) {
    const o = i * BYTES;
    quantizeScaleMin(x, i * QK_K, { nmax: 31, rmin: -0.5, nstep: 15 }, out, o, L);
    const qh = o + 16;
    let ql = o + 48;
    let m1 = 1;
    let m2 = 2;
    for (let n = 0; n < QK_K; n += 64) {
      for (let j = 0; j < 32; j++) {
        let l1 = L[n + j];
        if (l1 > 15) {
          l1 -= 16;
          out[qh + j] |= m1;
        }
        let l2 = L[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          out[qh + j] |= m2;
        }
        out[ql + j] = l1 | (l2 << 4);
      }
      m1 <<= 2;
      m2 <<= 2;
      ql += 32;
    }
  }
  return out;
}

/** dequantize_row_q5_K. */
export function dequantizeQ5K(b: Uint8Array, out: Float32Array): void {
  const f = Math.fround;
  const nb = out.length / QK_K;
  let y = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * BYTES;
    const qh = o + 16;
    let ql = o + 48;
    let u1 = 1;
    let u2 = 2;
    for (let j = 0, is = 0; j < QK_K; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      const [d1, mm1, d2, mm2] = subBlockScales(b, o, is);
      for (let l = 0; l < 32; l++) out[y++] = f(d1 * ((b[ql + l] & 0xf) + (b[qh + l] & u1 ? 16 : 0))) - mm1;
      for (let l = 0; l < 32; l++) out[y++] = f(d2 * ((b[ql + l] >> 4) + (b[qh + l] & u2 ? 16 : 0))) - mm2;
    }
  }
}
