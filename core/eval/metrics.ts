// lm-evaluation-harness 0.4 multiple-choice metrics.
// acc: argmax of the log-likelihoods; acc_norm: argmax of loglik / len(choice) with the length in
// characters of the choice string (lm-eval's `completion_len = [float(len(i)) for i in choices]`,
// Python's len = code points). np.argmax takes the FIRST maximum on ties; so do we.
// Standard error: lm-eval's `mean_stderr` = sample standard deviation (n−1) / sqrt(n).

/** Index of the first maximum (numpy argmax semantics; NaN counts as the maximum, as in numpy). */
export function argmax(xs: ArrayLike<number>): number {
  let best = 0;
  for (let i = 0; i < xs.length; i++) {
    if (Number.isNaN(xs[i])) return i;
    if (xs[i] > xs[best]) best = i;
  }
  return best;
}

/** Length as Python's len(str): Unicode code points, not UTF-16 units. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export interface DocScore {
  pred: number;
  predNorm: number;
  acc: 0 | 1;
  accNorm: 0 | 1;
}

export function scoreDoc(logliks: readonly number[], choices: readonly string[], gold: number): DocScore {
  const pred = argmax(logliks);
  const predNorm = argmax(logliks.map((ll, i) => ll / pyLen(choices[i])));
  return { pred, predNorm, acc: pred === gold ? 1 : 0, accNorm: predNorm === gold ? 1 : 0 };
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** lm-eval `mean_stderr`: sqrt(Σ(x−mean)² / (n−1)) / sqrt(n); NaN for fewer than two values. */
export function meanStderr(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mu = mean(xs);
  let ss = 0;
  for (const x of xs) ss += (x - mu) * (x - mu);
  return Math.sqrt(ss / (n - 1)) / Math.sqrt(n);
}
