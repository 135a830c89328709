// The bfloat16 bits a float32 array was widened from, kept beside it (as half-bits.ts keeps float16 bits) so that the
// device engine's exact float16 form of a bfloat16 weight (runtime/half-weights.ts halfExact) is made from the 2-byte
// bits as read, in place, instead of two more passes over the 4-byte values and a fresh 2-byte array. On a 7B layer
// (202M weights) that fresh memory's first touch alone was most of the prepare step's 2.7 s on the H100 host's main
// thread (issue #11, bench/prefetch-host.ts); the bits' buffer was already touched by the file read, off the main
// thread. The values must not change after they are remembered (source.ts's arrays are fresh ones nobody writes into).
import { halfToFloat } from './safetensors';

interface Bf16Bits {
  bits: Uint16Array;
  /** Largest biased float32 exponent of any value (0xff: an Inf or NaN). */
  top: number;
  /** Smallest biased float32 exponent of any value that is not ±0 (0x100 when all are). */
  low: number;
}

const bitsOf = new WeakMap<Float32Array, Bf16Bits>();

/** bfloat16 bits → a fresh float32 array (exact), their bits remembered with it (see takeBf16Bits). */
export function widenBf16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const r = widenBf16Kernel(bits, new Uint32Array(out.buffer));
  bitsOf.set(out, { bits, top: r[0], low: r[1] });
  return out;
}

/**
 * widenBf16's loop: `bits` into `u` (the float32 bits), returning [top, low]. Self-contained (no imports, no closure):
 * the prefetch's workers run its source text (slicegpt/prefetch-pool.ts), so both threads run the very same loop.
 */
export function widenBf16Kernel(bits: Uint16Array, u: Uint32Array): [number, number] {
  let top = 0;
  let low = 0x100;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    u[i] = b << 16;
    const e = (b >>> 7) & 0xff;
    if (e > top) top = e;
    if (e < low && (b & 0x7fff) !== 0) low = e;
  }
  return [top, low];
}

/** float16 bits → a fresh float32 array (exact), through model/safetensors.ts's table (as toFloat32 'F16'). */
export function widenF16(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  widenF16Kernel(halfToFloat, bits, out);
  return out;
}

/** widenF16's loop through the table `t` (self-contained, as widenBf16Kernel). */
export function widenF16Kernel(t: Float32Array, bits: Uint16Array, out: Float32Array): void {
  for (let i = 0; i < bits.length; i++) out[i] = t[bits[i]];
}

/** 16-bit float bits → a fresh float32 array: widenBf16 or widenF16 by `dtype`. */
export function widen16(bits: Uint16Array, dtype: 'BF16' | 'F16'): Float32Array {
  return dtype === 'BF16' ? widenBf16(bits) : widenF16(bits);
}

/**
 * The bfloat16 bits `values` were widened from, handed over once (the taker may overwrite them: a second call
 * returns undefined).
 */
export function takeBf16Bits(values: Float32Array): Bf16Bits | undefined {
  const r = bitsOf.get(values);
  if (r) bitsOf.delete(values);
  return r;
}
