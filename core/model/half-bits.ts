// float16 bits: the float32 → float16 rounding, the NaN test, and the bits an array was widened from.
// float32 → float16 bits with no other dependency: the safetensors writer, the GGUF export and the WGSL
// decoder's weight packing (which also runs in a browser page) share it.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → float16 bits, round to nearest even (as torch's .half()). */
export function toHalfBits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return sign | h;
}

// The float16 bits a float32 array was widened from (runtime/half-weights.ts widenHalf, model/lazy-half.ts: the
// device engine's weight products come down as float16 when the slice stores float16), kept beside it so that
// writing it as float16 (safetensors-writer.ts) takes those bits instead of rounding every value again — the
// same bits, since a float16 value widened and rounded back is itself (NaNs aside, which are never remembered:
// bits remembered unchecked are scanned for NaNs when first asked for). The values must not change after they
// are remembered; the arrays remembered are fresh ones nobody writes into.
const bitsOf = new WeakMap<Float32Array, { bits: Uint16Array; checked: boolean }>();

/**
 * Remembers that `values` are (or, lazy-half.ts, will be) exactly the float16 `bits` widened (same length);
 * `checked` false: the bits may hold a NaN, found and forgotten at the first halfBitsOf.
 */
export function rememberHalfBits(values: Float32Array, bits: Uint16Array, o: { checked?: boolean } = {}): void {
  if (values.length === bits.length) bitsOf.set(values, { bits, checked: o.checked ?? true });
}

/** Whether the float16 bit pattern `b` is a NaN: exponent all ones, mantissa not zero (either sign). */
export function isHalfNaN(b: number): boolean {
  return (b & 0x7fff) > 0x7c00;
}

/**
 * Whether float16 `bits` hold a NaN: isHalfNaN two lanes at a time where the bits are 4-byte aligned — per 16-bit
 * lane, (b & 0x7fff) + 0x3ff carries into bit 15 iff b & 0x7fff > 0x7c00.
 */
function hasNaN(bits: Uint16Array): boolean {
  const pairs = bits.byteOffset % 4 === 0 ? new Uint32Array(bits.buffer, bits.byteOffset, bits.length >>> 1) : null;
  if (pairs) {
    for (let i = 0; i < pairs.length; i++) if (((pairs[i] & 0x7fff7fff) + 0x03ff03ff) & 0x80008000) return true;
    return bits.length % 2 === 1 && isHalfNaN(bits[bits.length - 1]);
  }
  const nanBits = isHalfNaN; // through a local, as in lazy-half.ts widenInto: inlined with no per-value check
  for (let i = 0; i < bits.length; i++) if (nanBits(bits[i])) return true;
  return false;
}

/** The float16 bits `values` were widened from, if remembered (and free of NaNs). */
export function halfBitsOf(values: Float32Array | Float64Array): Uint16Array | undefined {
  if (!(values instanceof Float32Array)) return undefined;
  const r = bitsOf.get(values);
  if (!r) return undefined;
  if (!r.checked) {
    if (hasNaN(r.bits)) {
      bitsOf.delete(values);
      return undefined;
    }
    r.checked = true;
  }
  return r.bits;
}
