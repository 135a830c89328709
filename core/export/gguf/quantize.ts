// Tensor data in ggml's on-disk layouts, bit for bit what ggml's reference quantizers
// (ggml-quants.c quantize_row_q8_0_ref / quantize_row_q4_0_ref) produce, all arithmetic in float32:
//   F16  — IEEE half, round to nearest even;
//   Q8_0 — blocks of 32: { half d = amax/127; int8 q[32] = roundf(x/d) }                      (34 bytes);
//   Q4_0 — blocks of 32: { half d = max/−8 (max = the value of largest magnitude, signed);
//          uint8 qs[16]: low nibble = element j, high nibble = element j+16, q = min(15, trunc(x/d + 8.5)) } (18 bytes).
//   Q5_0, Q5_1, Q4_K, Q5_K, Q6_K — kquants/ (one file per family, each citing its reference).
// Rows are quantized independently: a row length must be a multiple of the block (the caller checks).
import { halfTable, toHalfBits } from './half';
import { BLOCK, GgmlType, tensorBytes } from './constants';
import { dequantizeQ4K, quantizeQ4K } from './kquants/q4k';
import { dequantizeQ5K, quantizeQ5K } from './kquants/q5k';
import { dequantizeQ6K, quantizeQ6K } from './kquants/q6k';
import { dequantizeQ5_0, dequantizeQ5_1, quantizeQ5_0, quantizeQ5_1, signedMax } from './kquants/q5';

const f = Math.fround;
/** C's roundf: half away from zero. */
const roundf = (x: number) => (x < 0 ? -Math.round(-x) : Math.round(x));

function f16(x: Float32Array): Uint8Array {
  const h = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) h[i] = toHalfBits(x[i]);
  return new Uint8Array(h.buffer);
}

function q8_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 34);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * 32;
    let amax = 0;
    for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[base + j]));
    const d = f(amax / 127);
    const id = d ? f(1 / d) : 0;
    dv.setUint16(b * 34, toHalfBits(d), true);
    for (let j = 0; j < 32; j++) dv.setInt8(b * 34 + 2 + j, roundf(f(x[base + j] * id)));
  }
  return out;
}

function q4_0(x: Float32Array): Uint8Array {
  const blocks = x.length / 32;
  const out = new Uint8Array(blocks * 18);
  const dv = new DataView(out.buffer);
  for (let b = 0; b < blocks; b++) {
    const base = b * 32;
    const d = f(signedMax(x, base) / -8);
    const id = d ? f(1 / d) : 0;
    dv.setUint16(b * 18, toHalfBits(d), true);
    for (let j = 0; j < 16; j++) {
      const x0 = f(x[base + j] * id);
      const x1 = f(x[base + 16 + j] * id);
      const xi0 = Math.min(15, Math.trunc(f(x0 + 8.5)));
      const xi1 = Math.min(15, Math.trunc(f(x1 + 8.5)));
      out[b * 18 + 2 + j] = xi0 | (xi1 << 4);
    }
  }
  return out;
}

/** The bytes of a tensor of `type` holding `x` (row-major, rows of ne0 elements). */
export function encodeTensor(x: Float32Array, type: GgmlType): Uint8Array {
  const block = BLOCK[type].size;
  if (x.length % block !== 0) throw new RangeError(`${x.length} values do not fill whole ${GgmlType[type]} blocks of ${block}`);
  switch (type) {
    case GgmlType.F32:
      return new Uint8Array(x.buffer.slice(x.byteOffset, x.byteOffset + x.byteLength));
    case GgmlType.F16:
      return f16(x);
    case GgmlType.Q8_0:
      return q8_0(x);
    case GgmlType.Q4_0:
      return q4_0(x);
    case GgmlType.Q5_0:
      return quantizeQ5_0(x);
    case GgmlType.Q5_1:
      return quantizeQ5_1(x);
    case GgmlType.Q4_K:
      return quantizeQ4K(x);
    case GgmlType.Q5_K:
      return quantizeQ5K(x);
    case GgmlType.Q6_K:
      return quantizeQ6K(x);
  }
}

/** Back to float32 (ggml's dequantize_row_*): for checks and tests. */
export function decodeTensor(bytes: Uint8Array, type: GgmlType, elements: number): Float32Array {
  if (bytes.byteLength !== tensorBytes(type, elements)) throw new RangeError(`${bytes.byteLength} bytes is not ${elements} ${GgmlType[type]} values`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(elements);
  switch (type) {
    case GgmlType.F32:
      for (let i = 0; i < elements; i++) out[i] = dv.getFloat32(i * 4, true);
      break;
    case GgmlType.F16:
      for (let i = 0; i < elements; i++) out[i] = halfTable[dv.getUint16(i * 2, true)];
      break;
    case GgmlType.Q8_0:
      for (let b = 0; b < elements / 32; b++) {
        const d = halfTable[dv.getUint16(b * 34, true)];
        for (let j = 0; j < 32; j++) out[b * 32 + j] = d * dv.getInt8(b * 34 + 2 + j);
      }
      break;
    case GgmlType.Q4_0:
      for (let b = 0; b < elements / 32; b++) {
        const d = halfTable[dv.getUint16(b * 18, true)];
        for (let j = 0; j < 16; j++) {
          const q = bytes[b * 18 + 2 + j];
          out[b * 32 + j] = d * ((q & 0x0f) - 8);
          out[b * 32 + 16 + j] = d * ((q >> 4) - 8);
        }
      }
      break;
    case GgmlType.Q5_0:
      dequantizeQ5_0(bytes, out);
      break;
    case GgmlType.Q5_1:
      dequantizeQ5_1(bytes, out);
      break;
    case GgmlType.Q4_K:
      dequantizeQ4K(bytes, out);
      break;
    case GgmlType.Q5_K:
      dequantizeQ5K(bytes, out);
      break;
    case GgmlType.Q6_K:
      dequantizeQ6K(bytes, out);
      break;
  }
  return out;
}
