// Calibration tokens for a slicing job. The data room (core/data/calibration.ts: wikitext2 | alpaca | file,
// sampling first | random) is being written concurrently; until it lands this reads the WikiText-2
// validation split from ../shared/data (the TOKENIZED copy — raw validation is not in the shared assets)
// and supports `sampling: 'first'` only: the first N windows of seqlen tokens of the "\n\n"-joined rows.
import { existsSync, readFileSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SliceOptionsError } from './errors';
import { encode, loadHfTokenizer } from './protocol';
import type { Calibration } from './rotate-and-slice';

const sharedData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../shared/data');

export interface CalibrationRequest {
  cal: string;
  nsamples: number;
  seqlen: number;
  sampling: 'first' | 'random';
  seed: number;
}

function rowsText(file: string): string {
  const lines = readFileSync(file, 'utf8').replace(/\r\n/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.map((l) => `${l}\n`).join('\n\n');
}

export async function loadCalibration(modelFolder: string, r: CalibrationRequest): Promise<Calibration> {
  if (r.sampling !== 'first') throw new SliceOptionsError(`calibration sampling "${r.sampling}" needs core/data/calibration (not available yet); use --sampling first`);
  let file: string;
  if (r.cal === 'wikitext2') file = join(sharedData, 'wikitext-2-tokenized/wiki.valid.tokens');
  else if (existsSync(r.cal)) file = r.cal;
  else throw new SliceOptionsError(`calibration data "${r.cal}" not found (wikitext2 or a .txt file)`);
  const tok = loadHfTokenizer(modelFolder);
  const need = r.nsamples * r.seqlen;
  // Tokenize a growing prefix: the JS tokenizer is slow and a calibration set is a small part of the split.
  const text = rowsText(file);
  let chars = Math.min(text.length, need * 8);
  for (;;) {
    const ids = encode(tok, text.slice(0, chars));
    // Drop the last few tokens: the prefix cut may have split a word.
    if (ids.length - 16 >= need || chars >= text.length) {
      const usable = chars >= text.length ? ids.length : ids.length - 16;
      if (usable < need) throw new SliceOptionsError(`calibration data has ${usable} tokens, fewer than nsamples × seqlen = ${need}`);
      return { ids: ids.slice(0, need), nsamples: r.nsamples, seqlen: r.seqlen };
    }
    chars = Math.min(text.length, chars * 2);
  }
}
