// Shared pieces of the recovery tests: a quick 25 % slice of tiny-llama recorded in a data folder, a
// five-step in-process recovery, the safetensors files of a folder, and a temp folder removed after use.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliJson, models } from '../transports/cli-helpers';
import type { RecoverOptions } from '../../core/recover/train';

/** tiny-llama sliced at 25 % (a few calibration windows: the tests need a slice, not a good one), recorded in `data`'s store. */
export function sliceTiny(data: string): string {
  const sliced = join(data, 'sliced');
  cliJson(data, 'slice', join(models, 'tiny-llama'), '--ratio', '0.25', '--nsamples', '4', '--seqlen', '64', '--sampling', 'first', '--out', sliced);
  return sliced;
}

/** A five-step in-process recovery with a checkpoint after every step. */
export const small = (model: string, out: string): RecoverOptions => ({
  model,
  data: 'wikitext2',
  out,
  rank: 4,
  alpha: 10,
  steps: 5,
  lr: 1e-3,
  warmup: 0,
  decay: 'cosine',
  batch: 1,
  accum: 1,
  seqlen: 32,
  clip: 1,
  weightDecay: 0,
  seed: 1,
  checkpointEvery: 1,
});

export const filesOf = (dir: string): string[] =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.safetensors'))
    .sort();

/** `use` with a fresh temp folder (data dir, outputs) removed after it, pass or fail. */
export async function inTempDir(prefix: string, use: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
