// Q5_0 and Q5_1 (ggml types 6 and 7), the block-32 types llama.cpp's quantizer falls back to when a row cannot
// hold 256-weight K-quant blocks (Q4_K → Q5_0, Q5_K → Q5_1). Reference: ggml-quants.c quantize_row_q5_0_ref /
// quantize_row_q5_1_ref, float32 throughout:
//   Q5_0 { half d = max/−16 (max: the signed value of largest magnitude); uint8 qh[4]; uint8 qs[16] } 22 bytes,
//        q = min(31, trunc(x/d + 16.5)), x ≈ d·(q − 16);
//   Q5_1 { half d = (max−min)/31, half m = min; uint8 qh[4]; uint8 qs[16] } 24 bytes, q = trunc((x−min)/d + 0.5).
// Low nibbles: byte j holds weight j (low) and j+16 (high); fifth bits: bit j of the little-endian uint32 qh for
// weight j, bit j+16 for weight j+16.
import { halfTable, toHalfBits } from '../half';

const f = Math.fround;

function pack(out: Uint8Array, qsAt: number, qhAt: number, q: (j: number) => number): void {
  let qh = 0;
  for (let j = 0; j < 16; j++) {
    const x0 = q(j);
    const x1 = q(j + 16);
    out[qsAt + j] = (x0 & 0x0f) | ((x1 & 0x0f) << 4);
    qh |= ((x0 & 0x10) >> 4) << j;
    qh |= ((x1 & 0x10) >> 4) << (j + 16);
  }
  new DataView(out.buffer, out.byteOffset).setUint32(qhAt, qh >>> 0, true);
}

/** The value of largest magnitude among x[base..base+32), with its sign (the first one on a tie): Q4_0 and Q5_0 scale by it. */
export function signedMax(x: Float32Array, base: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < 32; j++) {
    const v = x[base + j];
    if (amax < Math.abs(v)) {
      amax = Math.abs(v);
      max = v;
    }
  }
  return max;
}

export function quantizeQ5_0(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 22);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * 32;
    const d = f(signedMax(x, base) / -16);
    const id = d ? f(1 / d) : 0;
    dv.setUint16(b * 22, toHalfBits(d), true);
    pack(out, b * 22 + 6, b * 22 + 2, (j) => Math.min(31, Math.trunc(f(f(x[base + j] * id) + 16.5))));
  }
  return out;
}

export function quantizeQ5_1(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 24);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < nb; b++) {
    const base = b * 32;
    let min = Infinity;
    let max = -Infinity;
    for (let j = 0; j < 32; j++) {
      const v = x[base + j];
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const d = f(f(max - min) / 31);
    const id = d ? f(1 / d) : 0;
    dv.setUint16(b * 24, toHalfBits(d), true);
    dv.setUint16(b * 24 + 2, toHalfBits(min), true);
    pack(out, b * 24 + 8, b * 24 + 4, (j) => Math.trunc(f(f(f(x[base + j] - min) * id) + 0.5)) & 0xff);
  }
  return out;
}

function unpack(b: Uint8Array, qsAt: number, qhAt: number, put: (j: number, q: number) => void): void {
  const qh = new DataView(b.buffer, b.byteOffset).getUint32(qhAt, true);
  for (let j = 0; j < 16; j++) {
    put(j, (b[qsAt + j] & 0x0f) | (((qh >>> j) << 4) & 0x10));
    put(j + 16, (b[qsAt + j] >> 4) | ((qh >>> (j + 12)) & 0x10));
  }
}

/** dequantize_row_q5_0. */
export function dequantizeQ5_0(b: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < out.length / 32; i++) {
    const d = halfTable[b[i * 22] | (b[i * 22 + 1] << 8)];
    unpack(b, i * 22 + 6, i * 22 + 2, (j, q) => (out[i * 32 + j] = (q - 16) * d));
  }
}

/** dequantize_row_q5_1. */
export function dequantizeQ5_1(b: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < out.length / 32; i++) {
    const d = halfTable[b[i * 24] | (b[i * 24 + 1] << 8)];
    const m = halfTable[b[i * 24 + 2] | (b[i * 24 + 3] << 8)];
    unpack(b, i * 24 + 8, i * 24 + 4, (j, q) => (out[i * 32 + j] = f(q * d) + m));
  }
}
