// SliceGPT on the tiny random-weight Phi-3 (test/fixtures/phi3): the checks the shared models get — fusion and
// rotation keep the logits, slicing more moves them further.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openModel } from '../../core/model/source';
import { fusedSource } from '../../core/slicegpt/fuse';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { quietContext } from '../../core/base/job-context';
import { logitsOf, relativeError, tokenWindows, withRunner } from './helpers';
import { checkInvariance } from './invariance-check';
import { writeTinyPhi3 } from '../fixtures/phi3/make-tiny-phi3';

const folder = await writeTinyPhi3();
after(() => rmSync(dirname(folder), { recursive: true, force: true }));

test('fusing the tiny Phi-3 leaves its logits unchanged within 1e-5 relative', async () => {
  const src = await openModel(folder);
  const windows = tokenWindows(src.config.vocabSize, 2, 48);
  const err = await withRunner(src, async (r) => relativeError(await logitsOf(fusedSource(src), r, windows), await logitsOf(src, r, windows)));
  assert.ok(err < 1e-5, `relative logit error ${err}`);
});

test('the tiny Phi-3 rotated by random orthogonal matrices (shortcuts included) keeps its logits within 1e-5 relative', () => checkInvariance(folder));

// A random model predicts WikiText-2 no better than chance (perplexity ≈ the 32,064-token vocabulary at every
// ratio: measured 32,390 / 32,400 / 32,339 at 0.1 / 0.25 / 0.5), so "quality falls with the ratio" is measured
// as the other thing perplexity tracks: how far the slice's logits move from the dense model's.
test("slicing the tiny Phi-3: its logits move further from the dense model's as the ratio rises (0.1, 0.25, 0.5)", async (t) => {
  const dense = await openModel(folder);
  const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0 });
  const windows = tokenWindows(dense.config.vocabSize, 2, 64, 5);
  const errs: { ratio: number; d: number; err: number }[] = [];
  await withRunner(dense, async (runner) => {
    const ref = await logitsOf(dense, runner, windows);
    for (const ratio of [0.1, 0.25, 0.5]) {
      const out = join(dirname(folder), `sliced-${ratio}`);
      const r = await sliceModel(quietContext(), { model: folder, ratio, cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, calibration, dtype: 'float32' });
      errs.push({ ratio, d: r.d, err: relativeError(await logitsOf(await openAnyModel(out), runner, windows), ref) });
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
});
