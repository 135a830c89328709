// The measurement protocol of ../shared/models/README.md (the reference SliceGPT implementation's):
// WikiText-2 test rows joined with "\n\n", tokenized with the model's default special tokens, consecutive
// non-overlapping windows scored alone from position 0, ppl = exp(mean over windows of mean next-token NLL).
// Used by the SliceGPT tests and bench/slice.ts. Tokenization goes straight through @huggingface/tokenizers
// here; core/model/tokenizer.ts (being written concurrently) will replace it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { forward, nextTokenTargets } from '../runtime/forward';
import type { BlockRunner, ModelSource } from '../runtime/contract';

export function loadHfTokenizer(folder: string): Tokenizer {
  const tj = join(folder, 'tokenizer.json');
  if (!existsSync(tj)) throw new Error(`no tokenizer.json in ${folder}`);
  const cfgPath = join(folder, 'tokenizer_config.json');
  const cfg = existsSync(cfgPath) ? JSON.parse(readFileSync(cfgPath, 'utf8')) : {};
  return new Tokenizer(JSON.parse(readFileSync(tj, 'utf8')), cfg);
}

export function encode(tok: Tokenizer, text: string): Int32Array {
  return Int32Array.from(tok.encode(text).ids);
}

/** HF dataset rows of a raw WikiText file: its lines with the newline kept, joined with "\n\n". */
export function wikitextText(file: string): string {
  const raw = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  const lines = raw.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `${l}\n`).join('\n\n');
}

/** Consecutive non-overlapping windows of `seqlen` (remainder dropped). */
export function windowsOf(ids: Int32Array, seqlen: number, max = Infinity): Int32Array[] {
  const n = Math.min(Math.floor(ids.length / seqlen), max);
  return Array.from({ length: n }, (_, i) => ids.slice(i * seqlen, (i + 1) * seqlen));
}

/** exp(mean over windows of the mean next-token NLL). */
export async function perplexity(src: ModelSource, runner: BlockRunner, windows: Int32Array[], batch = 8): Promise<number> {
  const out = await forward(src, runner, windows, { batch, targets: windows.map(nextTokenTargets) });
  const seq = windows[0].length;
  let total = 0;
  for (let w = 0; w < windows.length; w++) {
    let s = 0;
    for (let t = 0; t < seq - 1; t++) s += out.nll![w * seq + t];
    total += s / (seq - 1);
  }
  return Math.exp(total / windows.length);
}
