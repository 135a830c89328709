// Training examples for recovery fine-tuning, as sequences of `seq` token ids with next-token targets.
// - Corpora (WikiText-2, a .txt file): the documents joined with "\n\n", encoded once, cut into
//   consecutive windows of `seq` tokens (the perplexity protocol's windows: no padding).
// - Records (Alpaca, a .json/.jsonl file): one example per document (the Alpaca template applied by
//   core/data), truncated to `seq` tokens and right-padded; padded positions score nothing.
// The order is a seeded shuffle per epoch, a pure function of (seed, sample index): a resumed run
// needs only its step to continue with exactly the batches an uninterrupted run would see.
import { extname } from 'node:path';
import type { Tokenizer } from '../model/tokenizer';
import { DatasetError, DOCUMENT_JOINER, type TextDataset } from '../data/dataset';
import { mulberry32 } from '../data/prng';

export interface TrainingSet {
  name: string;
  seq: number;
  /** Per example: ids and targets (−1 = not scored), each of length seq. */
  examples: { ids: Int32Array; targets: Int32Array }[];
  /** Scored tokens over all examples. */
  tokens: number;
}

export interface MicroBatch {
  ids: Int32Array;
  /** Clamped to ≥ 0 (the graph gathers with them); `weights` is 0 where nothing is scored. */
  targets: Int32Array;
  weights: Float32Array;
  /** Scored positions. */
  tokens: number;
}

/** Too little data to train on (one line). */
export class TrainingDataError extends DatasetError {
  override name = 'TrainingDataError';
}

export const isRecordDataset = (spec: string): boolean => spec === 'alpaca' || ['.json', '.jsonl'].includes(extname(spec).toLowerCase());

export function trainingSet(tokenizer: Tokenizer, data: TextDataset, seq: number, records: boolean): TrainingSet {
  const examples: TrainingSet['examples'] = [];
  let tokens = 0;
  if (records) {
    for (const doc of data.rows) {
      // maxTokens bounds the work; the special tokens may still add one past it.
      const ids = tokenizer.encode(doc, { maxTokens: seq }).slice(0, seq);
      if (ids.length < 2) continue;
      const ex = { ids: new Int32Array(seq), targets: new Int32Array(seq).fill(-1) };
      ex.ids.set(ids);
      for (let i = 0; i + 1 < ids.length; i++) ex.targets[i] = ids[i + 1];
      tokens += ids.length - 1;
      examples.push(ex);
    }
  } else {
    const all = tokenizer.encodeCorpus(data.rows, DOCUMENT_JOINER);
    for (let s = 0; s + seq <= all.length; s += seq) {
      const ids = Int32Array.from(all.slice(s, s + seq));
      const targets = new Int32Array(seq);
      targets.set(ids.subarray(1));
      targets[seq - 1] = -1;
      tokens += seq - 1;
      examples.push({ ids, targets });
    }
    if (examples.length === 0) throw new TrainingDataError(`${data.name} has ${all.length} token${all.length === 1 ? '' : 's'}, fewer than one window of ${seq}: use more text or a smaller --seqlen`);
  }
  if (examples.length === 0) throw new TrainingDataError(`${data.name} holds no document of at least 2 tokens to train on`);
  return { name: data.name, seq, examples, tokens };
}

/** The example index of global sample j: epoch ⌊j/n⌋ is a seeded Fisher–Yates shuffle of 0…n−1. */
export function exampleIndex(n: number, seed: number, j: number): number {
  const epoch = Math.floor(j / n);
  const perm = Array.from({ length: n }, (_, i) => i);
  const rng = mulberry32((seed + Math.imul(epoch, 0x9e3779b1)) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const k = Math.floor(rng() * (i + 1));
    [perm[i], perm[k]] = [perm[k], perm[i]];
  }
  return perm[j % n];
}

/**
 * The micro-batches of optimizer step `step` (0-based): `accum` × `batch` examples, each position's
 * weight 1 / (scored tokens of the whole step), so summing the micro-batches' losses and gradients
 * gives the mean over the step's tokens however they are split.
 */
export function stepBatches(set: TrainingSet, seed: number, step: number, batch: number, accum: number): MicroBatch[] {
  const S = set.seq;
  const per = batch * accum;
  const picked = Array.from({ length: per }, (_, i) => set.examples[exampleIndex(set.examples.length, seed, step * per + i)]);
  const total = picked.reduce((s, e) => s + e.targets.reduce((c, t) => c + (t >= 0 ? 1 : 0), 0), 0);
  const out: MicroBatch[] = [];
  for (let m = 0; m < accum; m++) {
    const mb: MicroBatch = { ids: new Int32Array(batch * S), targets: new Int32Array(batch * S), weights: new Float32Array(batch * S), tokens: 0 };
    for (let b = 0; b < batch; b++) {
      const e = picked[m * batch + b];
      mb.ids.set(e.ids, b * S);
      for (let i = 0; i < S; i++) {
        const tgt = e.targets[i];
        if (tgt < 0) continue;
        mb.targets[b * S + i] = tgt;
        mb.weights[b * S + i] = 1 / total;
        mb.tokens++;
      }
    }
    out.push(mb);
  }
  return out;
}
