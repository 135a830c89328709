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
  // float16 and bfloat16 are measured alike; each keeps its own tally.
  const f16 = storedFormatTally(10, -14);
  const bf16 = storedFormatTally(7, -126);
  let measured = 0;
  let maxAbs = 0;
  let maxRel = 0;
  for (let i = 0; i < b.length; i += step) {
    measured++;
    const d = Math.abs(a[i] - b[i]);
    maxAbs = Math.max(maxAbs, d);
    const large = Math.abs(b[i]) >= 1e-3 * max;
    if (large) maxRel = Math.max(maxRel, d / Math.abs(b[i]));
    f16.add(a[i], b[i], large);
    bf16.add(a[i], b[i], large);
  }
  return {
    values: measured,
    maxAbsOverMax: max > 0 ? maxAbs / max : maxAbs,
    maxRelative: maxRel,
    f16Mismatch: f16.mismatches / measured,
    bf16Mismatch: bf16.mismatches / measured,
    f16MaxUlps: f16.maxUlps,
    bf16MaxUlps: bf16.maxUlps,
  };
}

/** Mismatches and the largest one in units of the format's spacing at b, for one stored format. */
function storedFormatTally(mantissa: number, minExp: number) {
  const ulp = (x: number) => 2 ** (Math.max(Math.floor(Math.log2(Math.abs(x) || 2 ** minExp)), minExp) - mantissa);
  const tally = {
    mismatches: 0,
    maxUlps: 0,
    add(a: number, b: number, large: boolean): void {
      const ra = roundToBits(a, mantissa, minExp);
      const rb = roundToBits(b, mantissa, minExp);
      if (ra === rb) return;
      tally.mismatches++;
      if (large) tally.maxUlps = Math.max(tally.maxUlps, Math.abs(ra - rb) / ulp(b));
    },
  };
  return tally;
}

/** What a slice stores, against the float64 product, in units of the stored format's spacing there. */
export interface StoredError {
  dtype: 'float16' | 'bfloat16';
  values: number;
  /** max |stored − exact| / ulp(exact): 0.5 is the best any stored value can do (exact rounded once). */
  storedMaxUlps: number;
  /** max |round(exact) − exact| / ulp(exact): the format's own rounding over the same entries (≤ 0.5). */
  roundingMaxUlps: number;
  /** Entries whose stored value is not the float64 product rounded to the format (then 1 ulp apart at most, if storedMaxUlps ≤ 1). */
  mismatch: number;
}

/**
 * `stored`: the engine's result as the slice writes it (rounded to `dtype` — by the device for float16
 * downloads, by the writer otherwise: rounding is applied here, idempotent on values already rounded);
 * `exact`: the float64 product. Entries below 10⁻³·max |exact| are left out (their spacing is the
 * format's, not the matrix's: every error there is rounding noise), every k-th entry above `maxValues`.
 */
export function storedError(stored: ArrayLike<number>, exact: ArrayLike<number>, dtype: 'float16' | 'bfloat16', maxValues = 1 << 22): StoredError {
  if (stored.length !== exact.length) throw new Error(`storedError: ${stored.length} values vs ${exact.length}`);
  const [mantissa, minExp] = dtype === 'float16' ? [10, -14] : [7, -126];
  let max = 0;
  for (let i = 0; i < exact.length; i++) max = Math.max(max, Math.abs(exact[i]));
  const step = Math.max(1, Math.ceil(exact.length / maxValues));
  let values = 0;
  let storedMax = 0;
  let roundingMax = 0;
  let mismatch = 0;
  for (let i = 0; i < exact.length; i += step) {
    const b = exact[i];
    if (Math.abs(b) < 1e-3 * max) continue;
    values++;
    const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(b))), minExp) - mantissa);
    const s = roundEven(stored[i], mantissa, minExp);
    const r = roundEven(b, mantissa, minExp);
    storedMax = Math.max(storedMax, Math.abs(s - b) / ulp);
    roundingMax = Math.max(roundingMax, Math.abs(r - b) / ulp);
    if (s !== r) mismatch++;
  }
  return { dtype, values, storedMaxUlps: storedMax, roundingMaxUlps: roundingMax, mismatch: values ? mismatch / values : 0 };
}

/** x rounded to `mantissa` explicit bits, ties to even (the writer's and torch's rounding). */
function roundEven(x: number, mantissa: number, minExp: number): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const ulp = 2 ** (Math.max(Math.floor(Math.log2(Math.abs(x))), minExp) - mantissa);
  const q = x / ulp;
  const f = Math.floor(q);
  const r = q - f > 0.5 || (q - f === 0.5 && f % 2 !== 0) ? f + 1 : f;
  return r * ulp;
}
