// The device engine's PCA input in one pass: the moment's sum (SecondMoment's float64 Σ xᵀx, symmetric only up to
// rounding) symmetrised, damped and scaled by a power of two straight into the float32 array the WGSL solver
// uploads — without the n² float64 symmetrised copy (matrix()), its finite check, its damping and the solver's own
// max-and-scale passes (scale.ts), which are each a pass over 8n² bytes and, for the copy, 8n² bytes of fresh pages
// (128 MiB at n = 4096). Every value is the one those steps compute: the same expressions in float64, one rounding
// to float32 (test/slicegpt/damped-upload.test.ts). The float64 CPU path keeps matrix(). A device moment settled
// into an empty SecondMoment is read here from its compensated pair, each entry as 0 + (s − c): the float64 value
// the sum would hold (h += s − c into zeros), without that n² float64 array being written first. That pair's pass
// (pair-pass.ts) runs on worker threads from n = 1024 on (upload-pool.ts: the pair copied into the job's shared arrays
// first), bit-identical at any thread count.
import { EighError } from '../linalg/eigh';
import { NonFiniteError } from '../model/non-finite';
import { pairPass, sharedFloat32, UPLOAD_THREADS_MIN_N, uploadThreads } from './upload-pool';

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
 * n = 4096; on the 2-core box the pages cost more than the pass). Every entry is written each time. On threads
 * (upload-pool.ts) it is in shared memory, and so is `pair`: the device pair copied there for the workers (ORT's
 * download arrays are its own, not shared), kept for the next PCA too.
 */
export interface UploadScratch {
  array?: Float32Array;
  pair?: CompensatedPair;
}

/** A device moment's compensated float32 pair (DeviceTensors.settlePair): the moment is s − c, in float64. */
export interface CompensatedPair {
  s: Float32Array;
  c: Float32Array;
}

const TILE = 64;

export interface DampedUploadOptions {
  /** Threads for a compensated pair's pass (upload-pool.ts): default uploadThreads() from n = UPLOAD_THREADS_MIN_N on, else 1. */
  threads?: number;
}

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
 * The damped, scaled float32 upload of the moment's raw sum `h` (n×n, or a compensated pair), or null for the zero matrix (the solver hands
 * that to the CPU). Errors as principalDirections and scaledSymmetric give them: NonFiniteError for a non-finite
 * moment, EighError for a damped diagonal that overflows. With `scratch`, the upload is its array (reused).
 */
export function dampedUpload(h: Float64Array | CompensatedPair, n: number, scratch?: UploadScratch, o: DampedUploadOptions = {}): DampedUpload | null {
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
  const threads = h instanceof Float64Array ? 1 : (o.threads ?? (n >= UPLOAD_THREADS_MIN_N ? uploadThreads() : 1));
  const fits = (a: Float32Array | undefined): a is Float32Array => a?.length === n * n && (threads === 1 || a.buffer instanceof SharedArrayBuffer);
  const fresh = (len: number) => (threads > 1 ? sharedFloat32(len) : new Float32Array(len));
  const s = fits(scratch?.array) ? scratch.array : fresh(n * n);
  if (scratch) scratch.array = s;
  let pair = h instanceof Float64Array ? null : h;
  if (pair && threads > 1) {
    // The workers read the pair from shared memory: two copies (memcpy speed) into arrays kept for the job.
    const kept = scratch?.pair && fits(scratch.pair.s) && fits(scratch.pair.c) ? scratch.pair : { s: fresh(n * n), c: fresh(n * n) };
    if (scratch) scratch.pair = kept;
    kept.s.set(pair.s);
    kept.c.set(pair.c);
    pair = kept;
  }
  const pass = (scale: number) => {
    if (!pair) return scaledPass(h as Float64Array, n, diag, s, scale);
    const amax = pairPass(pair.s, pair.c, n, s, scale, threads);
    if (Number.isNaN(amax)) throw nonFinite();
    for (let i = 0; i < n; i++) s[i * n + i] = diag[i] * scale;
    return amax;
  };
  const amax = Math.max(dmax, pass(2 ** -guess));
  if (overflow >= 0) throw new EighError(`matrix has a non-finite entry at (${overflow}, ${overflow})`);
  if (amax === 0) return null;
  const exponent = exponentOf(amax);
  if (exponent !== guess) pass(2 ** -exponent);
  return { s, exponent, damp };
}
