// Normal samples as bf16 / f16 bits, fast: a counter-based 32-bit hash gives two 16-bit indices into a
// table of 65,536 standard-normal quantiles (Φ⁻¹((k + ½)/65536), |z| ≤ 4.3), so one hash and two table
// reads make two samples; no log, no cos. The value of element i depends only on (tensor seed, i):
// the output is the same whatever the chunk size, and a tensor can be regenerated piecewise.

/** Acklam's rational approximation of the inverse standard normal CDF (relative error < 1.2e-9). */
function inverseNormal(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

const TABLE = Float32Array.from({ length: 65536 }, (_, k) => inverseNormal((k + 0.5) / 65536));

/** A 32-bit seed for one tensor from the run's seed and the tensor's name (FNV-1a, then mixed). */
export function tensorSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ Math.imul(seed | 0, 0x9e3779b1);
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return mix(h >>> 0);
}

/** murmur3's 32-bit finalizer: a good avalanche for consecutive counters (inlined in fillKernel(); slicegpt's synthetic source hashes with it too). */
export function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export type BitsDtype = 'bf16' | 'f16';

/**
 * How the values of a tensor are drawn: value = mean + std · z · (colScale[col] or rowScale[row] or 1),
 * z standard normal. `cols` is the innermost dimension (1-D tensors: cols = length, one row).
 */
export interface Draw {
  seed: number;
  rows: number;
  cols: number;
  std: number;
  mean?: number;
  colScale?: Float32Array;
  rowScale?: Float32Array;
}

/**
 * Elements [first, first + out.length) of the tensor (row-major) as 16-bit patterns into `out`.
 * `first` must be even (pairs share one hash).
 */
export function fill(d: Draw, first: number, out: Uint16Array, dtype: BitsDtype): void {
  if (first % 2 !== 0) throw new RangeError('fill: first must be even');
  fillKernel(TABLE, out, first, d.seed | 0, d.rows, d.cols, d.std, d.mean ?? 0, d.colScale ?? null, d.rowScale ?? null, dtype === 'f16');
}

/** The quantile table, for worker threads (fill-pool.ts) to run fillKernel on. */
export const gaussianTable = (): Float32Array => TABLE;

/**
 * The generator itself, self-contained (no reference outside its body) so that worker threads can run
 * its source text (fill-pool.ts). One fused loop: hash → two table reads → scale → 16-bit pattern,
 * through a 2-element float32/uint32 alias.
 */
export function fillKernel(table: Float32Array, out: Uint16Array, first: number, seed: number, rows: number, cols: number, std: number, mean: number, cs: Float32Array | null, rs: Float32Array | null, half: boolean): void {
  const f2 = new Float32Array(2);
  const u2 = new Uint32Array(f2.buffer);
  const n = out.length;
  let c = first % cols;
  let r = Math.floor(first / cols);
  let s = rs ? std * rs[r] : std;
  for (let j = 0, i = first >>> 1; j < n; j += 2, i++) {
    let z = (seed + i) | 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    f2[0] = mean + (cs ? std * cs[c] : s) * table[z & 0xffff];
    if (++c === cols) {
      c = 0;
      if (rs) s = std * rs[++r < rows ? r : 0];
    }
    // the second element may start the next row
    f2[1] = mean + (cs ? std * cs[c] : s) * table[(z >>> 16) & 0xffff];
    if (++c === cols) {
      c = 0;
      if (rs) s = std * rs[++r < rows ? r : 0];
    }
    for (let k = 0; k < 2 && j + k < n; k++) {
      const x = u2[k];
      if (!half) {
        // bf16: round to nearest even on the 16 dropped bits (finite values only: no NaN occurs here)
        out[j + k] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
        continue;
      }
      // f16, round to nearest even; |x| < 2⁻²⁴ → ±0 (weights never reach 65504)
      const sign = (x >>> 16) & 0x8000;
      const a = x & 0x7fffffff;
      if (a >= 0x38800000) {
        const m = a - 0x38000000; // rebias the exponent 127 → 15
        out[j + k] = sign | ((m + 0x0fff + ((m >>> 13) & 1)) >>> 13);
      } else if (a < 0x33000000) out[j + k] = sign;
      else {
        const shift = 126 - (a >>> 23); // subnormal half
        const mant = (a & 0x7fffff) | 0x800000;
        let h = mant >>> shift;
        const rem = mant & ((1 << shift) - 1);
        const halfway = 1 << (shift - 1);
        if (rem > halfway || (rem === halfway && h & 1)) h++;
        out[j + k] = sign | h;
      }
    }
  }
}
