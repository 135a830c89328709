// How far a rotated weight computed in float32 (the device engine's products) is from the float64
// product, measured where it matters: in the float16 / bfloat16 values the output folder stores.
// Used by the rotation-accuracy benchmark and its test.

/** x rounded to the nearest value with `mantissa` explicit bits (10: float16, 7: bfloat16), ties away. */
export function roundToBits(x: number, mantissa: number, minExp: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const e = Math.max(Math.floor(Math.log2(Math.abs(x))), minExp);
  const ulp = 2 ** (e - mantissa);
  return Math.round(x / ulp) * ulp;
}

export const toF16 = (x: number) => roundToBits(x, 10, -14);
export const toBf16 = (x: number) => roundToBits(x, 7, -126);

export interface RotationError {
  /** Entries measured. */
  values: number;
  /** max |a − b| / max |b|: the error against the matrix's scale. */
  maxAbsOverMax: number;
  /** max |a − b| / |b| over entries with |b| ≥ 10⁻³·max |b| (smaller ones are all rounding noise). */
  maxRelative: number;
  /** Entries whose float16 (bfloat16) rounding differs between a and b, as a fraction of all. */
  f16Mismatch: number;
  bf16Mismatch: number;
  /** Largest such difference in units of the float16 (bfloat16) spacing at that value, over entries ≥ 10⁻³·max |b|. */
  f16MaxUlps: number;
  bf16MaxUlps: number;
}

/**
 * a: the float32 product, b: the float64 product (rounded to float32 or not), same layout. Above
 * `maxValues` entries, every k-th entry is measured (the scale max |b| is taken over all).
 */
export function rotationError(a: ArrayLike<number>, b: ArrayLike<number>, maxValues = 1 << 22): RotationError {
  if (a.length !== b.length) throw new Error(`rotationError: ${a.length} values vs ${b.length}`);
  let max = 0;
  for (let i = 0; i < b.length; i++) max = Math.max(max, Math.abs(b[i]));
  const step = Math.max(1, Math.ceil(b.length / maxValues));
  let measured = 0;
  let maxAbs = 0;
  let maxRel = 0;
  let f16 = 0;
  let bf16 = 0;
  let f16Ulps = 0;
  let bf16Ulps = 0;
  const ulp = (x: number, m: number, minE: number) => 2 ** (Math.max(Math.floor(Math.log2(Math.abs(x) || 2 ** minE)), minE) - m);
  for (let i = 0; i < b.length; i += step) {
    measured++;
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    const large = Math.abs(b[i]) >= 1e-3 * max;
    if (large) maxRel = Math.max(maxRel, d / Math.abs(b[i]));
    const ha = toF16(a[i]);
    const hb = toF16(b[i]);
    if (ha !== hb) {
      f16++;
      if (large) f16Ulps = Math.max(f16Ulps, Math.abs(ha - hb) / ulp(b[i], 10, -14));
    }
    const ba = toBf16(a[i]);
    const bb = toBf16(b[i]);
    if (ba !== bb) {
      bf16++;
      if (large) bf16Ulps = Math.max(bf16Ulps, Math.abs(ba - bb) / ulp(b[i], 7, -126));
    }
  }
  return {
    values: measured,
    maxAbsOverMax: max > 0 ? maxAbs / max : maxAbs,
    maxRelative: maxRel,
    f16Mismatch: f16 / measured,
    bf16Mismatch: bf16 / measured,
    f16MaxUlps: f16Ulps,
    bf16MaxUlps: bf16Ulps,
  };
}
