// Weights sent to the device as float16 when that loses nothing: a float32 matrix whose every value is
// h·2⁻ˢ for a float16 h (normal, or zero) and one power-of-two scale 2ˢ per matrix. Every float16 weight
// is (s = 15 − the largest exponent puts the top binade at float16's), and so is a bfloat16 weight whose
// values span at most 30 binades (bfloat16's 8 significant bits fit float16's 11; only the range can
// fail). The device casts to float32 and multiplies by 2⁻ˢ — exact, so every product is computed from the
// very float32 values of today's float32 upload, at half the bytes. Anything else (float32 weights, a
// bfloat16 value too small for the matrix's range, a subnormal) stays float32. Float16 subnormals are
// refused too: WGSL may flush them to zero.
import { rememberHalfBits } from '../model/half-bits';
import { widenInto } from '../model/lazy-half';
import { takeBf16Bits } from '../model/bf16-bits';

/** A matrix as float16 bits and the factor that makes them the original values again. */
export interface HalfExact {
  bits: Uint16Array;
  /** 2⁻ˢ: value = float16(bits) × scale, exactly. */
  scale: number;
  /**
   * A norm's scale folded into the columns (fuse.ts foldNormIntoReader): the matrix is then
   * float32(float16(bits) × scale × columns[j]), one correctly rounded float32 product per entry.
   */
  columns?: Float32Array;
}

/**
 * The float16 form of a fused reader, `fused` = fround(source · γ[j]) per entry, from its un-fused `source`
 * (float16 or bfloat16 as read) and γ: the device redoes the one float32 multiply, so the upload is the
 * source's 2 bytes per weight. Checked entry by entry (null when any entry is not that product) unless the caller passes `known`.
 */
export function halfExactFolded(source: Float32Array, gamma: Float32Array | undefined, fused: Float32Array, cols: number, known = false): HalfExact | null {
  if (source.length !== fused.length || (gamma && gamma.length !== cols)) return null;
  // `known`: the caller knows fused = fround(source · γ) entry by entry (fuse.ts foldedFrom): nothing to check.
  if (!known && gamma) {
    for (let i = 0, j = 0; i < fused.length; i++, j = j + 1 === cols ? 0 : j + 1) if (Math.fround(source[i] * gamma[j]) !== fused[i]) return null;
  } else if (!known) {
    for (let i = 0; i < fused.length; i++) if (source[i] !== fused[i]) return null;
  }
  const h = halfExact(source);
  return h && gamma ? { ...h, columns: gamma } : h;
}

// Forms made elsewhere (slicegpt/prefetch-pool.ts: a worker ran this very code on the values' bits), handed over once.
const ready = new WeakMap<Float32Array, HalfExact | null>();

/**
 * `h` is halfExact(`values`), made already (by the same kernels, on another thread): the next halfExact(values) takes
 * it instead of computing it. The values must not change after (the arrays are fresh ones nobody writes into).
 */
export function rememberHalfExact(values: Float32Array, h: HalfExact | null): void {
  ready.set(values, h);
}

/**
 * The float16 form of `data` if every value is exactly a float16 normal (or zero) times one power-of-two
 * scale, else null (found at the first value that is not; the float32 upload is then as before).
 */
export function halfExact(data: Float32Array): HalfExact | null {
  if (ready.has(data)) {
    const h = ready.get(data)!;
    ready.delete(data);
    return h;
  }
  const fromBf16 = takeBf16Bits(data);
  if (fromBf16 && fromBf16.top > 0 && fromBf16.top < 0xff) return halfFromBf16(fromBf16.bits, fromBf16.top, fromBf16.low);
  return halfExactScan(new Uint32Array(data.buffer, data.byteOffset, data.length));
}

/**
 * halfExact's passes over the float32 bits `u` (self-contained: slicegpt/prefetch-pool.ts's workers run its source).
 */
export function halfExactScan(u: Uint32Array): { bits: Uint16Array; scale: number } | null {
  let top = 0;
  for (let i = 0; i < u.length; i++) {
    // More than float16's 10 mantissa bits: float32 weights fail here, at once.
    if (u[i] & 0x1fff) return null;
    const e = (u[i] >>> 23) & 0xff;
    if (e > top) top = e;
  }
  if (top === 0xff) return null; // Inf or NaN
  if (top === 0) return { bits: new Uint16Array(u.length), scale: 1 }; // all zeros (or subnormals: refused below)
  // Biased float32 exponent `top` goes to float16's largest (15 + 15 = 30 biased): s = 30 − (top − 127 + 15).
  const s = 142 - top;
  // 2⁻ˢ must be a float32 normal for the device's multiply to stay exact.
  if (s > 126 || s < -126) return null;
  const bits = new Uint16Array(u.length);
  for (let i = 0; i < u.length; i++) {
    const x = u[i];
    const mag = x & 0x7fffffff;
    if (mag === 0) {
      bits[i] = (x >>> 16) & 0x8000;
      continue;
    }
    const e = ((mag >>> 23) & 0xff) + s - 112; // float16 biased exponent (127 − 15 = 112)
    if (e < 1 || mag >>> 23 === 0) return null;
    bits[i] = ((x >>> 16) & 0x8000) | (e << 10) | ((mag >>> 13) & 0x3ff);
  }
  return { bits, scale: 2 ** -s };
}

/**
 * halfExact of bfloat16 `bits` widened, from the bits themselves, written over them (model/bf16-bits.ts; `top`, `low`:
 * the largest and the smallest non-zero exponent, found as they were widened). The same decisions and bits as
 * halfExact's passes: a bfloat16 value never has mantissa bits below float16's, the scale comes from `top`, and an
 * entry halfExact would refuse (exponent too small for the scale, or a subnormal) is known before anything is written.
 * Self-contained (slicegpt/prefetch-pool.ts's workers run its source).
 */
export function halfFromBf16(bits: Uint16Array, top: number, low: number): { bits: Uint16Array; scale: number } | null {
  const s = 142 - top;
  if (s > 126 || s < -126) return null;
  if (low !== 0x100 && (low === 0 || low + s - 112 < 1)) return null;
  const add = (s - 112) << 10;
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    // float16 = sign | (exponent + s − 112) << 10 | the 7 mantissa bits << 3; ±0 keeps only its sign.
    bits[i] = (b & 0x7fff) === 0 ? b : (b & 0x8000) | ((((b >>> 7) & 0xff) << 10) + add) | ((b & 0x7f) << 3);
  }
  return { bits, scale: 2 ** -s };
}

/**
 * float16 bits → float32 values (exact), through the one 65,536-entry table (model/lazy-half.ts widenInto, the
 * loop a lazy matrix fills itself with); the bits are remembered with the result (model/half-bits.ts; `remember`
 * false: not), so a float16 writer need not round it again.
 */
export function widenHalf(bits: Uint16Array, o: { remember?: boolean } = {}): Float32Array {
  const out = new Float32Array(bits.length);
  const nan = widenInto(bits, out);
  if (!nan && o.remember !== false) rememberHalfBits(out, bits);
  return out;
}
