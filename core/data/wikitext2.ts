// WikiText-2 (Merity et al. 2016, CC BY-SA 3.0) as the reference implementation loads it from the
// Hugging Face hub ("wikitext", "wikitext-2-raw-v1"): one row per line of the file, newline kept.
//
// - test: the raw test split (`wiki.test.raw`), the perplexity benchmark. Protocol (see
//   /work/shared/models/README.md): text = rows joined with "\n\n", encoded with the tokenizer's default
//   special tokens, cut into non-overlapping windows.
// - validation: used for calibration. The only copy available offline is the *tokenized* release
//   (`wiki.valid.tokens`, rare words replaced by "<unk>"), not the raw one the reference uses: its
//   activations are very close but not identical, so calibration here is not bit-for-bit the reference's.
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { resourcePath } from '../base/paths';
import { DatasetError, DOCUMENT_JOINER, linesKeepingNewline, type TextDataset } from './dataset';

export type WikiText2Split = 'test' | 'validation';

export function wikitext2Path(split: WikiText2Split): string {
  return split === 'test' ? resourcePath('data', 'wikitext-2-raw', 'wiki.test.raw') : resourcePath('data', 'wikitext-2', 'wiki.valid.tokens');
}

/** The split's rows: lines of the file with their "\n" kept (blank lines are rows too, as on the Hub). */
export async function wikitext2(split: WikiText2Split, path = wikitext2Path(split)): Promise<TextDataset> {
  if (!existsSync(path)) throw new DatasetError(`WikiText-2 ${split} file not found: ${path}`);
  // The files use "\n"; a copy that went through a Windows checkout may have "\r\n".
  const text = (await readFile(path, 'utf8')).replaceAll('\r\n', '\n');
  return { name: `wikitext2/${split}`, rows: linesKeepingNewline(text) };
}

/** The perplexity benchmark's text: the test rows joined with "\n\n". */
export async function wikitext2TestText(path?: string): Promise<string> {
  return (await wikitext2('test', path)).rows.join(DOCUMENT_JOINER);
}
