// Shared by the export tests: slice a shared model at 25 % with a small calibration (real PCA, fast), and
// temp folders that clean up after themselves.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { sliceModel } from '../../core/slicegpt/slice-model';
import type { OutputDtype } from '../../core/slicegpt/output';
import { SHARED_MODELS } from '../shared';

export const MODELS = SHARED_MODELS;
export const modelPath = (name: string) => join(MODELS, name);

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `export-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `name` sliced at `ratio` into `out` (calibration: the first 4 WikiText-2 train windows of 128 tokens). */
export async function sliceShared(name: string, out: string, ratio = 0.25, dtype?: OutputDtype): Promise<string> {
  await sliceModel(quietContext(), {
    model: modelPath(name),
    ratio,
    cal: 'wikitext2',
    nsamples: 4,
    seqlen: 128,
    sampling: 'first',
    seed: 0,
    round: 8,
    sliceHead: false,
    out,
    ep: 'cpu',
    resume: false,
    ...(dtype ? { dtype } : {}),
  });
  return out;
}
