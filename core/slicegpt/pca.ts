// Step 2 of SliceGPT: principal directions of a signal. The reference's `pca_calc`: the UNCENTRED second
// moment H = Σ XᵀX over every calibration token (padding excluded), accumulated in float64; H += 0.01·mean(diag H)·I
// (damping, so near-singular moments still give well-defined directions); eigenvectors by descending eigenvalue.
import { gemm } from '../linalg/matmul';
import { symmetrizedInto } from '../linalg/scale';
import { firstNonFinite, NonFiniteError } from '../model/non-finite';
import { decompose, type DecomposeOptions, type PcaSolver } from './pca-solver';
import { dampedUpload, type CompensatedPair, type DampedUpload, type DampedUploadOptions, type UploadScratch } from './damped-upload';
import { stopwatch } from '../base/laps';
import type { QMatrix } from './q-matrix';

export { pcaSolverFor, type PcaSolver } from './pca-solver';

/**
 * Accumulates Σ xᵀx over token rows in float64 (ORT Gemm, Hᵀ-symmetrised when read). The float64 sum is made on the
 * first add: a device moment settled into an empty one (the device engine settles each moment once, into a fresh
 * one) is kept as its compensated pair and read as 0 + (s − c), the value h += s − c gives in a zeroed sum, so the
 * PCA's one-pass upload reads the pair directly (no 8n² bytes of fresh pages and read-modify-writes on the host).
 */
export class SecondMoment {
  readonly n: number;
  /** The float64 sum; null until something is added to it (all zeros, or #pair alone). */
  #h: Float64Array | null = null;
  /** A device pair adopted by an empty moment: the moment is 0 + (s − c), entry by entry, in float64. */
  #pair: CompensatedPair | null = null;
  #tokens = 0;

  constructor(n: number) {
    this.n = n;
  }

  get tokens(): number {
    return this.#tokens;
  }

  /** The float64 sum, made on first use: zeros, plus the adopted pair (h += s − c, as addCompensated adds it). */
  #sum(): Float64Array {
    if (this.#h) return this.#h;
    const h = new Float64Array(this.n * this.n);
    const pair = this.#pair;
    if (pair) {
      const { s, c } = pair;
      for (let i = 0; i < h.length; i++) h[i] += s[i] - c[i];
      this.#pair = null;
    }
    return (this.#h = h);
  }

  /** Add rows of `x` (tokens × n float32). `keep[t]` = 0 skips token t (padding). */
  async add(x: Float32Array, tokens: number, keep?: Uint8Array): Promise<void> {
    const n = this.n;
    if (x.length !== tokens * n) throw new Error(`SecondMoment.add: ${x.length} values is not ${tokens} × ${n}`);
    let rows = tokens;
    let x64: Float64Array;
    if (keep && keep.some((k) => !k)) {
      rows = 0;
      for (let t = 0; t < tokens; t++) if (keep[t]) rows++;
      x64 = new Float64Array(rows * n);
      let r = 0;
      for (let t = 0; t < tokens; t++) if (keep[t]) x64.set(x.subarray(t * n, (t + 1) * n), r++ * n);
    } else x64 = Float64Array.from(x);
    if (rows === 0) return;
    this.#h = await gemm(x64, x64, n, rows, n, { transA: true, c: this.#sum(), beta: 1 });
    this.#tokens += rows;
  }

  /**
   * Add a partial Gram matrix Σ xᵀx over `rows` tokens computed elsewhere (on a GPU EP, in float32 over
   * one batch): the sum over batches is still accumulated here in float64.
   */
  addGram(g: Float32Array | Float64Array, rows: number): void {
    if (g.length !== this.n * this.n) throw new Error(`SecondMoment.addGram: ${g.length} values is not ${this.n}²`);
    const h = this.#sum();
    for (let i = 0; i < h.length; i++) h[i] += g[i];
    this.#tokens += rows;
  }

  /**
   * Add a device moment's compensated pair (DeviceTensors.settlePair): h += s − c, each difference in float64 —
   * addGram of the float64 differences in one pass, without them as an array. Into an empty moment the pair is
   * kept as it is (the moment then holds s and c, which the caller must not change) and read as 0 + (s − c).
   */
  addCompensated(s: Float32Array, c: Float32Array, rows: number): void {
    const len = this.n * this.n;
    if (s.length !== len || c.length !== len) throw new Error(`SecondMoment.addCompensated: ${s.length} and ${c.length} values are not ${this.n}²`);
    if (!this.#h && !this.#pair) this.#pair = { s, c };
    else {
      const h = this.#sum();
      for (let i = 0; i < len; i++) h[i] += s[i] - c[i];
    }
    this.#tokens += rows;
  }

  /** The moment, symmetrised ((H + Hᵀ)/2: the product is symmetric only up to rounding). */
  matrix(): Float64Array {
    const n = this.n;
    const out = new Float64Array(n * n);
    symmetrizedInto(this.#sum(), n, out, 0.5);
    return out;
  }

  /** The moment symmetrised, damped and scaled into the WGSL solver's float32 upload in one pass (damped-upload.ts); null for the zero matrix. */
  dampedUpload(scratch?: UploadScratch, o?: DampedUploadOptions): DampedUpload | null {
    return dampedUpload(this.#pair ?? this.#sum(), this.n, scratch, o);
  }
}

export interface PcaResult {
  n: number;
  /** Row-major n×n, column j = the j-th principal direction (descending eigenvalue); float32 only with o.float32Vectors and the WGSL solver. */
  q: QMatrix;
  /** Eigenvalues of the undamped moment ΣXᵀX, descending. */
  eigenvalues: Float64Array;
  /** The damping added to the diagonal before the eigendecomposition. */
  damp: number;
  tokens: number;
}

/** The symmetrised moment as float64 with the damping on its diagonal (laps `moment` then `check` when `lap` is given). */
function damped(moment: SecondMoment, lap?: (key: string) => void): { h: Float64Array; damp: number } {
  const n = moment.n;
  const h = moment.matrix();
  lap?.('moment');
  // NaN/Inf activations (bad weights or calibration overflow) would make the eigensolver return garbage.
  if (firstNonFinite(h) >= 0) throw new NonFiniteError('the calibration activations contain non-finite values (NaN or Inf)');
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i];
  const damp = (0.01 * trace) / n;
  for (let i = 0; i < n; i++) h[i * n + i] += damp;
  return { h, damp };
}

export interface PcaOptions extends DecomposeOptions {
  /** The WGSL solver's upload array, reused from one PCA to the next of a job (damped-upload.ts). */
  scratch?: UploadScratch;
}

/** Damp, decompose, sort: the rotation for one signal. */
export async function principalDirections(moment: SecondMoment, solver?: PcaSolver, o?: PcaOptions & { float32Vectors?: false }): Promise<PcaResult & { q: Float64Array }>;
export async function principalDirections(moment: SecondMoment, solver: PcaSolver, o: PcaOptions): Promise<PcaResult>;
export async function principalDirections(moment: SecondMoment, solver: PcaSolver = 'float64', o: PcaOptions = {}): Promise<PcaResult> {
  const n = moment.n;
  if (moment.tokens === 0) throw new Error('PCA of a signal with no calibration tokens');
  // o.timings: seconds of `moment` (the symmetrised copy; for the WGSL solver the one-pass float32 upload), `check`
  // (finite, damping; within `moment` for the WGSL solver), `eigh` (the solver's phases as `eigh.<phase>`) and `order`.
  const lap = stopwatch(o.timings ?? {});
  // The WGSL solver takes the damped moment as a scaled float32 upload, built in one pass from the moment's sum (no
  // n² float64 copy; the same values), with the float64 matrix made only if the solver falls back to the CPU.
  const up = solver === 'wgsl' && n > 2 ? moment.dampedUpload(o.scratch) : null;
  if (up) lap('moment');
  const plain = up ? null : damped(moment, lap);
  lap('check');
  const damp = up ? up.damp : plain!.damp;
  const input = up ? { s: up.s, exponent: up.exponent, float64: () => damped(moment).h } : plain!.h;
  const solverTimings: Record<string, number> | undefined = o.timings ? {} : undefined;
  const { values, vectors } = await decompose(input, n, solver, { ...o, timings: solverTimings });
  lap('eigh');
  if (o.timings && solverTimings) for (const [k, v] of Object.entries(solverTimings)) if (k !== 'total' && typeof v === 'number') o.timings[`eigh.${k}`] = (o.timings[`eigh.${k}`] ?? 0) + v;
  // The solver returns descending order; sort anyway (stably) so a different solver cannot reorder the model.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const eigenvalues = new Float64Array(n);
  for (let c = 0; c < n; c++) eigenvalues[c] = values[order[c]] - damp;
  // Already in order (the usual case): no copy. Otherwise permute columns row by row (sequential writes).
  let q = vectors;
  if (order.some((src, c) => src !== c)) {
    q = vectors instanceof Float32Array ? new Float32Array(n * n) : new Float64Array(n * n);
    for (let r = 0; r < n; r++) {
      const row = r * n;
      for (let c = 0; c < n; c++) q[row + c] = vectors[row + order[c]];
    }
  }
  lap('order');
  return { n, q, eigenvalues, damp, tokens: moment.tokens };
}

/** Fraction of the signal's energy (trace of ΣXᵀX) that the leading `d` directions keep. */
export function explainedVariance(eigenvalues: Float64Array, d: number): number {
  let kept = 0;
  let total = 0;
  for (let i = 0; i < eigenvalues.length; i++) {
    total += eigenvalues[i];
    if (i < d) kept += eigenvalues[i];
  }
  return total > 0 ? kept / total : 1;
}
