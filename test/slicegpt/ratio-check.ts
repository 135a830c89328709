// "Quality falls with the ratio" for a random-weight model (the tiny Phi-3 and the family fixtures): such a model
// predicts text no better than chance (perplexity ≈ its vocabulary at every ratio), so it is measured as the
// other thing perplexity tracks — how far the slice's logits move from the dense model's at 0.1, 0.25 and 0.5.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { openModel } from '../../core/model/source';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { quietContext } from '../../core/base/job-context';
import { logitsOf, relativeError, tokenWindows, withRunner } from './helpers';

/** Slices `folder` (D = 64) at the three ratios, checks d = 56/48/32 and a strictly rising logit error; each slice is reopened from disk. */
export async function checkErrorRisesWithRatio(t: TestContext, folder: string, vocab: number): Promise<void> {
  const dense = await openModel(folder);
  const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0 });
  const windows = tokenWindows(vocab, 2, 64, 5);
  const errs: { ratio: number; d: number; err: number }[] = [];
  await withRunner(dense, async (runner) => {
    const ref = await logitsOf(dense, runner, windows);
    for (const ratio of [0.1, 0.25, 0.5]) {
      const out = join(dirname(folder), `sliced-${ratio}`);
      const r = await sliceModel(quietContext(), { model: folder, ratio, cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, calibration, dtype: 'float32' });
      errs.push({ ratio, d: r.d, err: relativeError(await logitsOf(await openAnyModel(out), runner, windows), ref) });
      rmSync(out, { recursive: true, force: true });
    }
  });
  const seen = JSON.stringify(errs);
  t.diagnostic(`relative logit error vs dense: ${seen}`);
  assert.deepEqual(
    errs.map((e) => e.d),
    [56, 48, 32],
    seen,
  );
  for (let i = 1; i < errs.length; i++) assert.ok(errs[i].err > errs[i - 1].err, `not rising: ${seen}`);
  assert.ok(errs[0].err > 0, seen);
}
