// Checks shared by both rotation modes before a slice writes anything: the options a user typed, and an output
// folder that is new, empty, or already a (partial) sliced model — never someone else's files.
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { isSlicedModelFolder } from '../model/sliced-source';
import { SliceOptionsError } from './errors';

export interface CheckedSliceOptions {
  model: string;
  ratio: number;
  nsamples: number;
  seqlen: number;
  sampling: string;
  out: string;
}

export function validateSliceOptions(o: CheckedSliceOptions): void {
  if (!(o.ratio >= 0 && o.ratio < 1)) throw new SliceOptionsError(`--ratio must be in [0, 1), got ${o.ratio}`);
  if (!(Number.isInteger(o.nsamples) && o.nsamples > 0)) throw new SliceOptionsError(`--nsamples must be a positive integer, got ${o.nsamples}`);
  if (!(Number.isInteger(o.seqlen) && o.seqlen > 1)) throw new SliceOptionsError(`--seqlen must be an integer > 1, got ${o.seqlen}`);
  if (o.sampling !== 'first' && o.sampling !== 'random') throw new SliceOptionsError(`--sampling must be first or random, got ${o.sampling}`);
  if (!o.out) throw new SliceOptionsError('--out is required');
  if (resolve(o.out) === resolve(o.model)) throw new SliceOptionsError('--out must not be the model folder');
}

/** Refuse to write into a folder that holds something other than a (partial) sliced model. */
export function prepareOut(out: string): void {
  if (!existsSync(out)) {
    mkdirSync(out, { recursive: true });
    return;
  }
  const entries = readdirSync(out);
  if (entries.length === 0 || isSlicedModelFolder(out) || entries.includes('.checkpoint') || entries.every((e) => /^model-\d+-of-\d+\.safetensors/.test(e) || e.startsWith('.')))
    return;
  throw new SliceOptionsError(`output folder ${out} exists and is not a sliced model; choose another --out`);
}
