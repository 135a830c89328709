// Checks shared by both rotation modes before a slice writes anything: the options a user typed, and an output
// folder that is new, empty, or one this app created (its marker) — never someone else's files.
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { isAppOutput, markOutput, OUTPUT_MARKER } from '../files/output-marker';
import { SliceOptionsError } from './errors';

export interface CheckedSliceOptions {
  model: string;
  ratio: number;
  nsamples: number;
  seqlen: number;
  sampling: string;
  out: string;
  checkpointEvery?: number;
}

export function validateSliceOptions(o: CheckedSliceOptions): void {
  if (!(o.ratio >= 0 && o.ratio < 1)) throw new SliceOptionsError(`--ratio must be in [0, 1), got ${o.ratio}`);
  if (!(Number.isInteger(o.nsamples) && o.nsamples > 0)) throw new SliceOptionsError(`--nsamples must be a positive integer, got ${o.nsamples}`);
  if (!(Number.isInteger(o.seqlen) && o.seqlen > 1)) throw new SliceOptionsError(`--seqlen must be an integer > 1, got ${o.seqlen}`);
  if (o.sampling !== 'first' && o.sampling !== 'random') throw new SliceOptionsError(`--sampling must be first or random, got ${o.sampling}`);
  if (!o.out) throw new SliceOptionsError('--out is required');
  if (o.checkpointEvery !== undefined && !(Number.isFinite(o.checkpointEvery) && o.checkpointEvery >= 0)) throw new SliceOptionsError(`--checkpoint-every must be a number of seconds ≥ 0, got ${o.checkpointEvery}`);
  if (resolve(o.out) === resolve(o.model)) throw new SliceOptionsError('--out must not be the model folder');
}

/**
 * Refuse to write into a folder Slice Studio did not create: a new or empty folder is signed with the
 * output marker, an existing one must carry it (a slice, or its checkpoint, from an earlier run).
 */
export function prepareOut(out: string): void {
  if (!existsSync(out)) {
    mkdirSync(out, { recursive: true });
    markOutput(out, 'slice');
    return;
  }
  if (isAppOutput(out)) return;
  if (statSync(out).isDirectory() && readdirSync(out).length === 0) {
    markOutput(out, 'slice');
    return;
  }
  throw new SliceOptionsError(`output folder ${out} exists and was not created by Slice Studio (no ${OUTPUT_MARKER} in it); choose another --out`);
}
