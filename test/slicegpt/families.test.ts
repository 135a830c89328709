// SliceGPT on the tiny random-weight models of the families hobbyists run (test/fixtures/families): for each,
// the checks the shared models get — fusion and a random rotation keep the logits within 1e-5, slicing more
// moves them further — and the sliced folder reopens (Qwen3's q/k head norms stored and read back).
// Qwen3's q/k norms act inside each head's dimension, which SliceGPT never rotates (only the residual width D):
// the rotation check below is what shows they commute with it.
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
import { TINY_FAMILIES, writeTinyFamily } from '../fixtures/families/tiny-family';

const folders = new Map<string, string>();
after(() => {
  for (const f of folders.values()) rmSync(dirname(f), { recursive: true, force: true });
});
const folderOf = async (name: (typeof TINY_FAMILIES)[number]): Promise<string> => {
  let f = folders.get(name);
  if (!f) folders.set(name, (f = await writeTinyFamily(name)));
  return f;
};

// Phi-3 has these checks on its synth-drawn fixture (phi3.test.ts); its hash-drawn twin here serves the transformers reference.
for (const name of TINY_FAMILIES.filter((n) => n !== 'phi-3')) {
  test(`fusing the tiny ${name} leaves its logits unchanged within 1e-5 relative`, async () => {
    const src = await openModel(await folderOf(name));
    const windows = tokenWindows(32000, 2, 48);
    const err = await withRunner(src, async (r) => relativeError(await logitsOf(fusedSource(src), r, windows), await logitsOf(src, r, windows)));
    assert.ok(err < 1e-5, `relative logit error ${err}`);
  });

  test(`the tiny ${name} rotated by random orthogonal matrices (shortcuts included) keeps its logits within 1e-5 relative`, async () => checkInvariance(await folderOf(name)));

  // Random weights predict text no better than chance (perplexity ≈ the vocabulary at every ratio), so "quality
  // falls with the ratio" is measured as how far the slice's logits move from the dense model's (as for Phi-3).
  test(`slicing the tiny ${name}: its logits move further from the dense model's as the ratio rises (0.1, 0.25, 0.5)`, async (t) => {
    const folder = await folderOf(name);
    const dense = await openModel(folder);
    const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 8, seqlen: 128, sampling: 'first', seed: 0 });
    const windows = tokenWindows(32000, 2, 64, 5);
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
  });
}
