// Step 2 of SliceGPT: principal directions of a signal. The reference's `pca_calc`: the UNCENTRED second
// moment H = Σ XᵀX over every calibration token (padding excluded), accumulated in float64; H += 0.01·mean(diag H)·I
// (damping, so near-singular moments still give well-defined directions); eigenvectors by descending eigenvalue.
// core/linalg/eigh.ts (blocked Householder + divide and conquer through ORT) is being written concurrently;
// until it lands, the EISPACK-style solver here is exact enough (residual ~1e-15) for widths up to ~1024.
import { eighFallback } from './eigh-fallback';

const eigh = async (a: Float64Array, n: number) => eighFallback(a, n);

/** Accumulates Σ xᵀx over token rows in float64 with a fixed summation order (deterministic). */
export class SecondMoment {
  readonly n: number;
  #h: Float64Array;
  #tokens = 0;
  /** Tokens per accumulation block: rows are transposed into float64 so every entry is a contiguous dot product. */
  static readonly BLOCK = 128;

  constructor(n: number) {
    this.n = n;
    this.#h = new Float64Array(n * n);
  }

  get tokens(): number {
    return this.#tokens;
  }

  /**
   * Add rows of `x` (tokens × n float32). `keep[t]` = 0 skips token t (padding).
   */
  add(x: Float32Array, tokens: number, keep?: Uint8Array): void {
    const n = this.n;
    if (x.length !== tokens * n) throw new Error(`SecondMoment.add: ${x.length} values is not ${tokens} × ${n}`);
    const B = SecondMoment.BLOCK;
    const xt = new Float64Array(n * B);
    const h = this.#h;
    let t = 0;
    while (t < tokens) {
      let m = 0;
      xt.fill(0);
      for (; t < tokens && m < B; t++) {
        if (keep && !keep[t]) continue;
        const base = t * n;
        for (let i = 0; i < n; i++) xt[i * B + m] = x[base + i];
        m++;
      }
      if (m === 0) continue;
      this.#tokens += m;
      // Upper triangle only; the lower one is mirrored at the end.
      for (let i = 0; i < n; i++) {
        const ib = i * B;
        for (let j = i; j < n; j++) {
          const jb = j * B;
          let s = 0;
          for (let k = 0; k < m; k++) s += xt[ib + k] * xt[jb + k];
          h[i * n + j] += s;
        }
      }
    }
  }

  /** The symmetric moment (a copy). */
  matrix(): Float64Array {
    const n = this.n;
    const out = this.#h.slice();
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[i * n + j] = out[j * n + i];
    return out;
  }
}

export interface PcaResult {
  n: number;
  /** Row-major n×n, column j = the j-th principal direction (descending eigenvalue). */
  q: Float64Array;
  /** Eigenvalues of the undamped moment ΣXᵀX, descending. */
  eigenvalues: Float64Array;
  /** The damping added to the diagonal before the eigendecomposition. */
  damp: number;
  tokens: number;
}

/** Damp, decompose, sort: the rotation for one signal. */
export async function principalDirections(moment: SecondMoment): Promise<PcaResult> {
  const n = moment.n;
  if (moment.tokens === 0) throw new Error('PCA of a signal with no calibration tokens');
  const h = moment.matrix();
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i];
  const damp = (0.01 * trace) / n;
  for (let i = 0; i < n; i++) h[i * n + i] += damp;
  const { values, vectors } = await eigh(h, n);
  // The solver returns descending order; sort anyway (stably) so a different solver cannot reorder the model.
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  const q = new Float64Array(n * n);
  const eigenvalues = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    const src = order[c];
    eigenvalues[c] = values[src] - damp;
    for (let r = 0; r < n; r++) q[r * n + c] = vectors[r * n + src];
  }
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
