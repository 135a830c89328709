// SliceGPT on the tiny random-weight Phi-3 (test/fixtures/phi3): the same three checks as the shared models —
// fusion and rotation keep the logits, and perplexity rises with the ratio.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openModel } from '../../core/model/source';
import { fusedSource } from '../../core/slicegpt/fuse';
import { logitsOf, relativeError, tokenWindows, withRunner } from './helpers';
import { checkInvariance } from './invariance-check';
import { assertRising, sweep } from './sweep';
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

test('slicing the tiny Phi-3: perplexity rises monotonically over ratios 0.1, 0.25, 0.5', async () => {
  const { dense, points } = await sweep(folder, [0.1, 0.25, 0.5]);
  assertRising(points);
  assert.ok(points[0].ppl > dense, `sliced ${points[0].ppl} vs dense ${dense}`);
});
