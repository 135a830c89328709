// A divide-and-conquer merge's M (merge-matrix.ts) described in O(m) numbers, for a GPU to build M itself
// instead of receiving m² floats: the kept poles d, Löwner's ẑ, each root's origin pole o and offset τ
// (λ_p = d_o + τ_p), where each row and column of M goes, and the deflation rotations. Column p of U is
// ẑ_i/(d_i − λ_p) normalized; the difference is formed as (d_i − d_o) − τ_p, with d_i − d_o exact: the poles
// travel as 96-bit fixed-point integers (three u32 words), so their difference is an exact integer
// subtraction however close the poles are (float32 pairs would carry only 48 bits, too few for poles
// a few ulps of float64 apart), and |τ_p| ≤ |d_i − d_o|/2 for i ≠ o (o is the nearer pole), so the last
// subtraction cancels nothing. Entries are formed as v_i = ẑ_i·(|τ_p|/δ_i) (|τ_p|/δ_i ∈ [−1, 1]: no float32
// overflow however small τ is) and scaled by 1/‖v‖.
import type { MergeBasis } from './merge-basis';

export interface MergeSpec {
  m: number;
  /** Secular roots (non-deflated eigenpairs), eigenpairs 0..k−1. */
  k: number;
  /** Per M row: < k, the kept pole i whose U row it holds; ≥ k, the deflated eigenpair whose unit column it holds. */
  role: Uint32Array;
  /** Per M column: the eigenpair stored there. */
  pair: Uint32Array;
  /** Per kept pole i: d_i·2^−unit as a signed 96-bit integer, words 3i (least significant) … 3i + 2. */
  words: Uint32Array;
  /** The fixed point's exponent: d_i = words_i·2^unit. */
  unit: number;
  /** Per kept pole: Löwner's ẑ_i (float32). */
  zhat: Float32Array;
  /** Per root p: its origin pole's index and offset τ_p (float32, nonzero). */
  origin: Uint32Array;
  tau: Float32Array;
  /** The deflation rotations in the order they apply to M (the last recorded first): M rows a, b; cosine, sine. */
  rotRows: Uint32Array;
  rotCs: Float32Array;
}

/** Float32 magnitudes the device formulas keep normal. */
const TINY = 2 ** -100;

/**
 * The spec of the merge whose host M fillMergeMatrix would build from the same arguments (dk the kept
 * poles ascending, roots' origins/offsets and ẑ from the secular solve), or undefined when its numbers do
 * not fit the device's float32 formulas (a pole scale out of float32's range, a τ or ẑ too small): the
 * caller then builds M on the host.
 */
export function mergeSpec(m: number, basis: MergeBasis, keep: Int32Array, dk: Float64Array, zhat: Float64Array, origin: Float64Array, tau: Float64Array, place: Int32Array): MergeSpec | undefined {
  const { src, deflated, rotations } = basis;
  const k = keep.length;
  let dmax = 0;
  for (let i = 0; i < k; i++) dmax = Math.max(dmax, Math.abs(dk[i]));
  // dmax < 2^E; the integers have 84 bits below 2^E.
  const E = dmax > 0 ? Math.floor(Math.log2(dmax)) + 1 : 0;
  const unit = E - 84;
  if (unit < -126 || E > 100) return undefined;
  const words = new Uint32Array(3 * k);
  const scale = 2 ** -unit;
  for (let i = 0; i < k; i++) {
    const n = BigInt.asUintN(96, BigInt(Math.round(dk[i] * scale)));
    words[3 * i] = Number(n & 0xffffffffn);
    words[3 * i + 1] = Number((n >> 32n) & 0xffffffffn);
    words[3 * i + 2] = Number(n >> 64n);
  }
  const z32 = Float32Array.from(zhat.subarray(0, k));
  const t32 = Float32Array.from(tau.subarray(0, k));
  for (let i = 0; i < k; i++) {
    if (!(Math.abs(t32[i]) >= TINY && Number.isFinite(t32[i]))) return undefined;
    if (!(Math.abs(z32[i]) >= TINY && Number.isFinite(z32[i]))) return undefined;
  }
  const role = new Uint32Array(m);
  for (let i = 0; i < k; i++) role[src[keep[i]]] = i;
  for (let c = 0, j = k; c < m; c++) if (deflated[c]) role[src[c]] = j++;
  const pair = new Uint32Array(m);
  for (let p = 0; p < m; p++) pair[place[p]] = p;
  const R = rotations.length / 4;
  const rotRows = new Uint32Array(2 * R);
  const rotCs = new Float32Array(2 * R);
  for (let t = 0; t < R; t++) {
    const r = 4 * (R - 1 - t);
    rotRows[2 * t] = src[rotations[r]];
    rotRows[2 * t + 1] = src[rotations[r + 1]];
    rotCs[2 * t] = rotations[r + 2];
    rotCs[2 * t + 1] = rotations[r + 3];
  }
  return { m, k, role, pair, words, unit, zhat: z32, origin: Uint32Array.from(origin.subarray(0, k)), tau: t32, rotRows, rotCs };
}

/** d_i − d_j of the spec's poles, exactly as an integer, then rounded to float64 (the host reading). */
function poleDifference(s: MergeSpec, i: number, j: number): number {
  const w = (p: number) => BigInt.asIntN(96, (BigInt(s.words[3 * p + 2]) << 64n) | (BigInt(s.words[3 * p + 1]) << 32n) | BigInt(s.words[3 * p]));
  return Number(w(i) - w(j)) * 2 ** s.unit;
}

/**
 * M from its spec on the host, by the device kernels' formulas (float64 arithmetic, float32 result): what
 * a device store without kernels computes (test/linalg/device-merges.test.ts).
 */
export function specMatrix(s: MergeSpec): Float32Array {
  const { m, k } = s;
  const M = new Float32Array(m * m);
  const inv = new Float64Array(k);
  const entry = (i: number, p: number) => {
    const t = s.tau[p];
    return s.zhat[i] * (Math.abs(t) / (poleDifference(s, i, s.origin[p]) - t));
  };
  for (let p = 0; p < k; p++) {
    let sum = 0;
    for (let i = 0; i < k; i++) sum += entry(i, p) ** 2;
    inv[p] = 1 / Math.sqrt(sum);
  }
  for (let r = 0; r < m; r++)
    for (let c = 0; c < m; c++) {
      const p = s.pair[c];
      const q = s.role[r];
      M[r * m + c] = p < k ? (q < k ? entry(q, p) * inv[p] : 0) : q === p ? 1 : 0;
    }
  return applySpecRotations(s, M);
}

/** The spec's deflation rotations applied to the rows of an m×m matrix M (row-major), in place; returns M. */
export function applySpecRotations<A extends Float32Array | Float64Array>(s: MergeSpec, M: A): A {
  const m = s.m;
  for (let t = 0; t < s.rotRows.length / 2; t++) {
    const [a, b] = [s.rotRows[2 * t] * m, s.rotRows[2 * t + 1] * m];
    const [cs, sn] = [s.rotCs[2 * t], s.rotCs[2 * t + 1]];
    for (let c = 0; c < m; c++) {
      const x = M[a + c];
      const y = M[b + c];
      M[a + c] = cs * x - sn * y;
      M[b + c] = sn * x + cs * y;
    }
  }
  return M;
}
