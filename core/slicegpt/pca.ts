// Step 2 of SliceGPT: principal directions of a signal. The reference's `pca_calc`: the UNCENTRED second
// moment H = Σ XᵀX over every calibration token (padding excluded), accumulated in float64; H += 0.01·mean(diag H)·I
// (damping, so near-singular moments still give well-defined directions); eigenvectors by descending eigenvalue.
import { gemm } from '../linalg/matmul';
import { symmetrizedInto } from '../linalg/scale';
import { firstNonFinite, NonFiniteError } from '../model/non-finite';
import { decompose, type DecomposeOptions, type PcaSolver } from './pca-solver';
import { dampedUpload, type DampedUpload, type UploadScratch } from './damped-upload';
import { stopwatch } from '../base/laps';
import type { QMatrix } from './q-matrix';

export { pcaSolverFor, type PcaSolver } from './pca-solver';

/** Accumulates Σ xᵀx over token rows in float64 (ORT Gemm, Hᵀ-symmetrised when read). */
export class SecondMoment {
  readonly n: number;
  #h: Float64Array;
  #tokens = 0;

  constructor(n: number) {
    this.n = n;
    this.#h = new Float64Array(n * n);
  }

  get tokens(): number {
    return this.#tokens;
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
    this.#h = await gemm(x64, x64, n, rows, n, { transA: true, c: this.#h, beta: 1 });
    this.#tokens += rows;
  }

  /**
   * Add a partial Gram matrix Σ xᵀx over `rows` tokens computed elsewhere (on a GPU EP, in float32 over
   * one batch): the sum over batches is still accumulated here in float64.
   */
  addGram(g: Float32Array | Float64Array, rows: number): void {
    const h = this.#h;
    if (g.length !== h.length) throw new Error(`SecondMoment.addGram: ${g.length} values is not ${this.n}²`);
    for (let i = 0; i < h.length; i++) h[i] += g[i];
    this.#tokens += rows;
  }

  /**
   * Add a device moment's compensated pair (DeviceTensors.settlePair): h += s − c, each difference in float64 —
   * addGram of the float64 differences in one pass, without them as an array.
   */
  addCompensated(s: Float32Array, c: Float32Array, rows: number): void {
    const h = this.#h;
    if (s.length !== h.length || c.length !== h.length) throw new Error(`SecondMoment.addCompensated: ${s.length} and ${c.length} values are not ${this.n}²`);
    for (let i = 0; i < h.length; i++) h[i] += s[i] - c[i];
    this.#tokens += rows;
  }

  /** The moment, symmetrised ((H + Hᵀ)/2: the product is symmetric only up to rounding). */
  matrix(): Float64Array {
    const n = this.n;
    const out = new Float64Array(n * n);
    symmetrizedInto(this.#h, n, out, 0.5);
    return out;
  }

  /** The moment symmetrised, damped and scaled into the WGSL solver's float32 upload in one pass (damped-upload.ts); null for the zero matrix. */
  dampedUpload(scratch?: UploadScratch): DampedUpload | null {
    return dampedUpload(this.#h, this.n, scratch);
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
  const { values, vectors } = await decompose(input, n, solver, { ...o, timings: solverTimings, symmetric: true });
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
