// SliceGPT on the tiny random-weight Phi-3 (test/fixtures/phi3): the checks the shared models get — fusion and
// rotation keep the logits, slicing more moves them further.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openModel } from '../../core/model/source';
import { fusedSource } from '../../core/slicegpt/fuse';
import { logitsOf, relativeError, tokenWindows, withRunner } from './helpers';
import { checkInvariance } from './invariance-check';
import { checkErrorRisesWithRatio } from './ratio-check';
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

// Measured before as perplexity: 32,390 / 32,400 / 32,339 at 0.1 / 0.25 / 0.5 (the 32,064-token vocabulary's chance level).
test("slicing the tiny Phi-3: its logits move further from the dense model's as the ratio rises (0.1, 0.25, 0.5)", (t) => checkErrorRisesWithRatio(t, folder, 32064));
