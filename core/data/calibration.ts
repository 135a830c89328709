// Calibration windows: nsamples sequences of seqlen token ids, on which SliceGPT collects the signals
// whose PCA gives each layer's rotation.
//
// sampling 'first' — the first nsamples windows of seqlen tokens of the "\n\n"-joined documents, encoded
//   with the tokenizer's default special tokens (a BOS once at the very start, as in the perplexity
//   protocol). Deterministic: the benchmark protocol.
// sampling 'random' — what microsoft/TransformerCompression's prepare_dataloader does with
//   varied_seqlen=False: drop empty documents; then, until nsamples windows exist or documents run out,
//   pick a random start document, append it and the documents after it (joined with "\n\n", each
//   tokenized without special tokens) until there are ≥ seqlen tokens, remove those documents from the
//   pool, and keep the first seqlen tokens (a window that stays shorter is discarded). Where the
//   tokenizer adds a BOS by default, the window is BOS + the first seqlen−1 tokens: the reference gets
//   that by decoding the tokens and re-tokenizing with truncation; the re-tokenizing is skipped here.
//   The seeded PRNG is our own (prng.ts), so the same seed does not pick the reference's documents.
import type { Tokenizer } from '../model/tokenizer';
import { DatasetError, DOCUMENT_JOINER, type TextDataset } from './dataset';
import { mulberry32, randomInt } from './prng';

export type Sampling = 'first' | 'random';

export interface CalibrationOptions {
  nsamples: number;
  seqlen: number;
  sampling: Sampling;
  /** For 'random' (default 42, the reference's default). */
  seed?: number;
}

export interface CalibrationWindows {
  /** nsamples × seqlen ids, row-major. */
  ids: Int32Array;
  nsamples: number;
  seqlen: number;
}

/** The dataset cannot supply nsamples × seqlen tokens. */
export class NotEnoughTokensError extends DatasetError {
  override name = 'NotEnoughTokensError';
}

export function calibrationWindows(tokenizer: Tokenizer, source: TextDataset | string[], opts: CalibrationOptions): CalibrationWindows {
  const { nsamples, seqlen } = opts;
  if (!Number.isInteger(nsamples) || nsamples < 1) throw new DatasetError(`nsamples must be a positive integer, got ${nsamples}`);
  if (!Number.isInteger(seqlen) || seqlen < 2) throw new DatasetError(`seqlen must be an integer ≥ 2, got ${seqlen}`);
  const dataset = Array.isArray(source) ? { name: 'dataset', rows: source } : source;
  if (opts.sampling === 'first') return firstWindows(tokenizer, dataset, nsamples, seqlen);
  if (opts.sampling === 'random') return randomWindows(tokenizer, dataset, nsamples, seqlen, opts.seed ?? 42);
  throw new DatasetError(`unknown sampling "${String(opts.sampling)}": use 'first' or 'random'`);
}

function firstWindows(tokenizer: Tokenizer, dataset: TextDataset, nsamples: number, seqlen: number): CalibrationWindows {
  const need = nsamples * seqlen;
  const ids = tokenizer.encodeCorpus(dataset.rows, DOCUMENT_JOINER, { maxTokens: need });
  if (ids.length < need) {
    throw new NotEnoughTokensError(`${dataset.name} has ${ids.length} tokens, fewer than nsamples × seqlen = ${nsamples} × ${seqlen} = ${need}: ` + `lower nsamples or seqlen, or use a larger dataset`);
  }
  return { ids: Int32Array.from(ids.slice(0, need)), nsamples, seqlen };
}

/** The ids the tokenizer puts before a text by default (LLaMA's <s>, OPT's </s>), found by probing. */
function defaultPrefix(tokenizer: Tokenizer): number[] {
  const bare = tokenizer.encode('a', { addSpecialTokens: false });
  const full = tokenizer.encode('a');
  for (let i = 0; i + bare.length <= full.length; i++) {
    if (bare.every((id, j) => full[i + j] === id)) return full.slice(0, i);
  }
  return [];
}

function randomWindows(tokenizer: Tokenizer, dataset: TextDataset, nsamples: number, seqlen: number, seed: number): CalibrationWindows {
  const docs = dataset.rows.filter((r) => r.trim().length > 0);
  const prefix = defaultPrefix(tokenizer);
  const body = seqlen - prefix.length;
  const rng = mulberry32(seed);
  let indices = docs.map((_, i) => i);
  const out = new Int32Array(nsamples * seqlen);
  let made = 0;
  while (made < nsamples && indices.length > 0) {
    const start = randomInt(rng, indices.length);
    let idx = start;
    const tokens: number[] = [];
    while (tokens.length < seqlen && idx < indices.length) {
      const sep = tokens.length === 0 ? '' : DOCUMENT_JOINER;
      // Only seqlen tokens are kept: a prefix of the encoding is enough (exact: maxTokens returns a prefix),
      // and a 3 MB document without whitespace is not encoded whole for 256 of its tokens.
      for (const id of tokenizer.encode(sep + docs[indices[idx]], { addSpecialTokens: false, maxTokens: seqlen - tokens.length })) tokens.push(id);
      idx++;
    }
    indices = indices.slice(0, start).concat(indices.slice(idx));
    if (tokens.length >= seqlen) {
      out.set(prefix, made * seqlen);
      out.set(tokens.slice(0, body), made * seqlen + prefix.length);
      made++;
    }
  }
  if (made < nsamples) {
    throw new NotEnoughTokensError(`${dataset.name} yields only ${made} random windows of ${seqlen} tokens (each document is used once), ` + `fewer than nsamples = ${nsamples}: lower nsamples or seqlen, use 'first' sampling, or a larger dataset`);
  }
  return { ids: out, nsamples, seqlen };
}
