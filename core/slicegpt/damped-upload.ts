// The device engine's PCA input in one pass: the moment's sum (SecondMoment's float64 Σ xᵀx, symmetric only up to
// rounding) symmetrised, damped and scaled by a power of two straight into the float32 array the WGSL solver
// uploads — without the n² float64 symmetrised copy (matrix()), its finite check, its damping and the solver's own
// max-and-scale passes (scale.ts), which are each a pass over 8n² bytes and, for the copy, 8n² bytes of fresh pages
// (128 MiB at n = 4096). Every value is the one those steps compute: the same expressions in float64, one rounding
// to float32 (test/slicegpt/damped-upload.test.ts). The float64 CPU path keeps matrix(). A device moment settled
// into an empty SecondMoment is read here from its compensated pair, each entry as 0 + (s − c): the float64 value
// the sum would hold (h += s − c into zeros), without that n² float64 array being written first.
import { EighError } from '../linalg/eigh';
import { NonFiniteError } from '../model/non-finite';

export interface DampedUpload {
  /** ((H + Hᵀ)/2 + damp·I) · 2^−exponent, rounded to float32: the solver's upload. */
  s: Float32Array;
  exponent: number;
  /** 0.01 · mean(diag H), as principalDirections adds it. */
  damp: number;
}

/**
 * A float32 n² array kept between the PCAs of one job for their uploads: the solver copies the upload into a device
 * buffer at once (writeBuffer), so the next PCA can overwrite it instead of faulting in fresh pages (64 MiB at
 * n = 4096; on the 2-core box the pages cost more than the pass). Every entry is written each time.
 */
export interface UploadScratch {
  array?: Float32Array;
}

/** A device moment's compensated float32 pair (DeviceTensors.settlePair): the moment is s − c, in float64. */
export interface CompensatedPair {
  s: Float32Array;
  c: Float32Array;
}

const TILE = 64;

/** The moment's raw diagonal (as the sum holds it: for a pair, 0 + (s − c)). */
function diagonalOf(h: Float64Array | CompensatedPair, n: number): Float64Array {
  const d = new Float64Array(n);
  if (h instanceof Float64Array) for (let i = 0; i < n; i++) d[i] = h[i * n + i];
  else for (let i = 0; i < n; i++) d[i] = 0 + (h.s[i * n + i] - h.c[i * n + i]);
  return d;
}

/** The damping principalDirections adds: from the symmetrised diagonal (`hd`, raw), summed in row order. Throws on a non-finite entry there. */
function dampOf(hd: Float64Array, n: number): number {
  let trace = 0;
  for (let i = 0; i < n; i++) {
    const v = hd[i] * 0.5 + hd[i] * 0.5;
    if (!Number.isFinite(v)) throw nonFinite();
    trace += v;
  }
  return (0.01 * trace) / n;
}

function nonFinite(): NonFiniteError {
  return new NonFiniteError('the calibration activations contain non-finite values (NaN or Inf)');
}

/**
 * One tiled pass (the transposed side would walk down columns of a matrix that does not fit in cache): s = the
 * damped symmetrised moment · `scale`. Returns max |entry| off the diagonal; throws NonFiniteError on a non-finite one.
 */
function scaledPass(h: Float64Array, n: number, diag: Float64Array, s: Float32Array, scale: number): number {
  let amax = 0;
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      for (let i = i0; i < i1; i++) {
        const j1 = Math.min(i, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          const v = h[i * n + j] * 0.5 + h[j * n + i] * 0.5;
          const x = Math.abs(v);
          if (!(x <= amax)) {
            if (!Number.isFinite(x)) throw nonFinite();
            amax = x;
          }
          const f = v * scale;
          s[i * n + j] = f;
          s[j * n + i] = f;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) s[i * n + i] = diag[i] * scale;
  return amax;
}

/**
 * scaledPass of a compensated pair: each entry read as 0 + (s − c), the float64 value the sum would hold. A loop of its
 * own rather than scaledPass with an entry-reader callback: this is the hottest host loop of a device-engine layer.
 */
function scaledPassPair({ s: ps, c: pc }: CompensatedPair, n: number, diag: Float64Array, s: Float32Array, scale: number): number {
  let amax = 0;
  for (let i0 = 0; i0 < n; i0 += TILE) {
    const i1 = Math.min(n, i0 + TILE);
    for (let j0 = 0; j0 <= i0; j0 += TILE) {
      for (let i = i0; i < i1; i++) {
        const j1 = Math.min(i, j0 + TILE);
        for (let j = j0; j < j1; j++) {
          const a = 0 + (ps[i * n + j] - pc[i * n + j]);
          const b = 0 + (ps[j * n + i] - pc[j * n + i]);
          const v = a * 0.5 + b * 0.5;
          const x = Math.abs(v);
          if (!(x <= amax)) {
            if (!Number.isFinite(x)) throw nonFinite();
            amax = x;
          }
          const f = v * scale;
          s[i * n + j] = f;
          s[j * n + i] = f;
        }
      }
    }
  }
  for (let i = 0; i < n; i++) s[i * n + i] = diag[i] * scale;
  return amax;
}

/**
 * The damped, scaled float32 upload of the moment's raw sum `h` (n×n, or a compensated pair), or null for the zero matrix (the solver hands
 * that to the CPU). Errors as principalDirections and scaledSymmetric give them: NonFiniteError for a non-finite
 * moment, EighError for a damped diagonal that overflows. With `scratch`, the upload is its array (reused).
 */
export function dampedUpload(h: Float64Array | CompensatedPair, n: number, scratch?: UploadScratch): DampedUpload | null {
  const hd = diagonalOf(h, n);
  const damp = dampOf(hd, n);
  const diag = new Float64Array(n);
  let dmax = 0;
  let overflow = -1;
  for (let i = 0; i < n; i++) {
    const d = (diag[i] = hd[i] * 0.5 + hd[i] * 0.5 + damp);
    if (!Number.isFinite(d) && overflow < 0) overflow = i;
    dmax = Math.max(dmax, Math.abs(d));
  }
  // The exponent is that of max |entry|; a moment (a Gram matrix: |h_ij| ≤ √(h_ii·h_jj)) has it on the diagonal,
  // so the pass scales by the diagonal's and is redone only when an off-diagonal entry (rounding, a device
  // moment's float32 partial sums) reaches a higher power of two.
  const exponentOf = (amax: number) => Math.min(1000, Math.max(-1000, Math.floor(Math.log2(amax))));
  const guess = dmax > 0 && Number.isFinite(dmax) ? exponentOf(dmax) : 0;
  const s = scratch?.array?.length === n * n ? scratch.array : new Float32Array(n * n);
  if (scratch) scratch.array = s;
  const pass = (scale: number) => (h instanceof Float64Array ? scaledPass(h, n, diag, s, scale) : scaledPassPair(h, n, diag, s, scale));
  const amax = Math.max(dmax, pass(2 ** -guess));
  if (overflow >= 0) throw new EighError(`matrix has a non-finite entry at (${overflow}, ${overflow})`);
  if (amax === 0) return null;
  const exponent = exponentOf(amax);
  if (exponent !== guess) pass(2 ** -exponent);
  return { s, exponent, damp };
}
