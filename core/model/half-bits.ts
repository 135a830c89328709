// The float16 bits a float32 array was widened from (runtime/half-weights.ts widenHalf: the device engine's
// weight products come down as float16 when the slice stores float16), kept beside it so that writing it as
// float16 (safetensors-writer.ts) takes those bits instead of rounding every value again — the same bits,
// since a float16 value widened and rounded back is itself (NaNs aside, which are never remembered). The
// values must not change after they are remembered; widenHalf's result is a fresh array nobody writes into.
const bitsOf = new WeakMap<Float32Array, Uint16Array>();

/** Remembers that `values` are exactly the float16 `bits` widened (same length, no NaN among them). */
export function rememberHalfBits(values: Float32Array, bits: Uint16Array): void {
  if (values.length === bits.length) bitsOf.set(values, bits);
}

/** The float16 bits `values` were widened from, if remembered. */
export function halfBitsOf(values: Float32Array | Float64Array): Uint16Array | undefined {
  return values instanceof Float32Array ? bitsOf.get(values) : undefined;
}
