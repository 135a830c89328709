// A synthetic model needs a tokenizer so that calibration, perplexity and export run on it as on a real
// checkpoint. Random weights do not care which text a token id stands for, so a shared tokenizer of the
// family is copied in: the ids it produces only have to lie below the model's vocabulary size.
import { chmodSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { family as familyModule } from '../model/families/index';
import { resourcesDir } from '../base/paths';
import { SynthError } from './errors';

export const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'tokenizer.model', 'vocab.json', 'merges.txt'];

const hasTokenizer = (dir: string) => existsSync(join(dir, 'tokenizer.json')) || (existsSync(join(dir, 'vocab.json')) && existsSync(join(dir, 'merges.txt')));

/** The tokenizer folder to copy: the one given, else the family's shared one. */
export function findTokenizer(family: string, given?: string): string {
  if (given) {
    if (!hasTokenizer(given)) throw new SynthError(`no tokenizer in ${given}: expected tokenizer.json, or vocab.json with merges.txt`);
    return given;
  }
  const roots = [process.env.SLICE_STUDIO_TOKENIZERS, join(dirname(resourcesDir()), '..', 'shared', 'data', 'tokenizers')].filter((r): r is string => !!r);
  for (const root of roots) for (const name of familyModule(family).synthTokenizers) if (hasTokenizer(join(root, name))) return join(root, name);
  throw new SynthError(`no shared ${family} tokenizer found (looked in ${roots.join(', ')}): pass --tokenizer <folder>`);
}

/** Largest token id the tokenizer can produce + 1 (its vocabulary with added tokens). */
export function tokenizerVocab(dir: string): number {
  const ids: number[] = [];
  if (existsSync(join(dir, 'tokenizer.json'))) {
    const j = JSON.parse(readFileSync(join(dir, 'tokenizer.json'), 'utf8')) as { model?: { vocab?: Record<string, number> | [string, number][] }; added_tokens?: { id: number }[] };
    const v = j.model?.vocab;
    if (Array.isArray(v)) ids.push(v.length - 1);
    else if (v) ids.push(...Object.values(v));
    for (const t of j.added_tokens ?? []) ids.push(t.id);
  } else ids.push(...Object.values(JSON.parse(readFileSync(join(dir, 'vocab.json'), 'utf8')) as Record<string, number>));
  return ids.reduce((a, b) => Math.max(a, b), -1) + 1;
}

/** Refuses a tokenizer whose ids would overrun the model's vocabulary (checked before anything is written). */
export function checkTokenizerFits(dir: string, vocabSize: number): void {
  const n = tokenizerVocab(dir);
  if (n > vocabSize) throw new SynthError(`the tokenizer in ${dir} has ${n} tokens but the model's vocabulary has ${vocabSize}: pass --tokenizer with a smaller one`);
}

/** Copy the tokenizer's files into `out`. */
export function copyTokenizer(dir: string, out: string): string[] {
  const copied = TOKENIZER_FILES.filter((f) => existsSync(join(dir, f)));
  for (const f of copied) {
    copyFileSync(join(dir, f), join(out, f));
    chmodSync(join(out, f), 0o644); // shared tokenizers are read-only; the copy belongs to the user
  }
  return copied;
}
