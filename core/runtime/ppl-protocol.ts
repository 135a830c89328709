// What a perplexity was measured on. Two perplexities compare only when their protocols are equal: the
// corpus (dataset and split), the window length and how many windows were scored (always the first n,
// each from position 0). One default protocol for every caller (UI, CLI `ppl` / `eval --ppl`,
// verify-export, the demo): the first 64 windows of 256 tokens of WikiText-2 test — a few seconds on a
// CPU for the shared models, ±1–2 % standard error; the whole test set stays one flag away.
// Pure (no Node imports): the renderer formats and compares with these same functions.

export const DEFAULT_PPL_SEQLEN = 256;
export const DEFAULT_PPL_WINDOWS = 64;

export interface PplProtocol {
  /** 'wikitext2', 'alpaca', 'hub:…' or a local file path. */
  dataset: string;
  /** 'test' for WikiText-2; null for sets without splits. */
  split: string | null;
  seqlen: number;
  /** Windows scored: the first `windows` of the corpus. */
  windows: number;
  /** Windows the corpus has at this length (null when unknown): windows === of means "all". */
  of: number | null;
}

/** dataset spec ('wikitext2', 'wikitext2:test', 'alpaca', a path) → dataset and split. */
export function datasetAndSplit(spec: string): { dataset: string; split: string | null } {
  const m = /^wikitext2(?::(\w+))?$/.exec(spec);
  return m ? { dataset: 'wikitext2', split: m[1] ?? 'test' } : { dataset: spec, split: null };
}

export function pplProtocol(spec: string, seqlen: number, windows: number, of: number | null = null): PplProtocol {
  return { ...datasetAndSplit(spec), seqlen, windows, of };
}

/** Equal protocols measure the same thing (the corpus size `of` is informative only). */
export const protocolKey = (p: PplProtocol): string => `${p.dataset}${p.split ? `:${p.split}` : ''}/${p.seqlen}x${p.windows}`;
export const sameProtocol = (a: PplProtocol | null, b: PplProtocol | null): boolean => a !== null && b !== null && protocolKey(a) === protocolKey(b);

const DATASET_NAMES: Record<string, string> = { wikitext2: 'WikiText-2', alpaca: 'Alpaca' };
const datasetName = (p: PplProtocol): string => {
  const base = DATASET_NAMES[p.dataset] ?? p.dataset.split(/[\\/]/).pop() ?? p.dataset;
  return p.split ? `${base} ${p.split}` : base;
};

/** "WikiText-2 test, first 64 of 1568 windows × 256 tokens" (all: "all 1568 windows × 256 tokens"). */
export function protocolLabel(p: PplProtocol): string {
  const which = p.of !== null && p.windows === p.of ? `all ${p.windows}` : `first ${p.windows}${p.of !== null ? ` of ${p.of}` : ''}`;
  return `${datasetName(p)}, ${which} windows × ${p.seqlen} tokens`;
}

/** "64×256" (with the corpus when it is not WikiText-2 test): for table cells. */
export function protocolShort(p: PplProtocol): string {
  const size = `${p.windows}×${p.seqlen}`;
  return p.dataset === 'wikitext2' && p.split === 'test' ? size : `${datasetName(p)} ${size}`;
}

/**
 * Standard error of a perplexity from its per-window mean NLLs: ppl = exp(mean), so by the delta method
 * se(ppl) ≈ ppl · sd(window NLLs)/√n. Windows are treated as independent samples.
 */
export function pplStderrOf(windowNll: ArrayLike<number>, ppl: number): number {
  const n = windowNll.length;
  if (n < 2) return NaN;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += windowNll[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (windowNll[i] - mean) ** 2;
  return ppl * Math.sqrt(ss / (n - 1) / n);
}

export interface Measured {
  value: number;
  stderr: number | null;
}

/**
 * slice − dense, with the standard error of the difference assuming independent samples,
 * √(se₁² + se₂²) — as lm-eval reports each number's own stderr; conservative for perplexity, whose
 * windows are shared (paired) between the two models.
 */
export function difference(a: Measured, b: Measured): Measured {
  const se = a.stderr !== null && b.stderr !== null && Number.isFinite(a.stderr) && Number.isFinite(b.stderr) ? Math.sqrt(a.stderr ** 2 + b.stderr ** 2) : null;
  return { value: a.value - b.value, stderr: se };
}

/** "+22.1 ± 4.3" (digits: decimals). */
export function signed(m: Measured, digits: number, scale = 1): string {
  const v = m.value * scale;
  const s = `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(digits)}`;
  return m.stderr === null ? s : `${s} ± ${(m.stderr * scale).toFixed(digits)}`;
}
