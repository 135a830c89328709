// Choosing the next token from a row of logits: greedy (argmax), or sampled with temperature and top-p
// (nucleus) from a seeded generator, so the same seed, prompt and model give the same text on any run.
// The generator is the calibration sampler's (mulberry32, core/data/prng.ts): reproducibility, not
// cryptographic quality, is what a "try it" sample needs.
import { mulberry32 } from '../data/prng';

export interface SamplingOptions {
  /** > 0; logits are divided by it before the softmax. 0 means greedy. */
  temperature: number;
  /** Keep the smallest set of most likely tokens whose probabilities sum to at least topP (0 < topP ≤ 1). */
  topP: number;
  /** Seed of the generator (a 32-bit integer). */
  seed: number;
}

export function argmax(row: ArrayLike<number>): number {
  let b = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[b]) b = j;
  return b;
}

/** The argmax of each of `batch` equal rows of `logits` (greedy ids of a batch). */
export function argmaxRows(logits: Float32Array, batch: number): Int32Array {
  const V = logits.length / batch;
  const ids = new Int32Array(batch);
  for (let b = 0; b < batch; b++) ids[b] = argmax(logits.subarray(b * V, (b + 1) * V));
  return ids;
}

/**
 * A token chooser: argmax without options (or with temperature 0), else a draw from the top-p nucleus of
 * softmax(logits / temperature). Each chooser owns its generator, so two models sampled side by side each
 * see the same stream of draws for the same seed.
 */
export function tokenChooser(opts?: SamplingOptions): (logits: ArrayLike<number>) => number {
  if (!opts || opts.temperature === 0) return argmax;
  const random = mulberry32(opts.seed);
  const { temperature, topP } = opts;
  return (logits) => {
    const n = logits.length;
    let max = -Infinity;
    for (let j = 0; j < n; j++) if (logits[j] > max) max = logits[j];
    // float64 probabilities: exp of (logit − max)/T never overflows, and the nucleus sum is exact enough.
    const p = new Float64Array(n);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += p[j] = Math.exp((logits[j] - max) / temperature);
    // topP 1 keeps everything: draw in id order and skip the sort (a vocabulary of 32k+ per token).
    const order = topP >= 1 ? Array.from({ length: n }, (_, j) => j) : Array.from({ length: n }, (_, j) => j).sort((a, b) => p[b] - p[a] || a - b);
    let kept = 0;
    let mass = 0;
    while (kept < n && mass < topP * sum) mass += p[order[kept++]];
    let r = random() * mass;
    for (let k = 0; k < kept; k++) {
      r -= p[order[k]];
      if (r < 0) return order[k];
    }
    return order[kept - 1];
  };
}
