// SliceGPT on the tiny random-weight models of the families hobbyists run (test/fixtures/families): for each,
// the checks the shared models get — fusion and a random rotation keep the logits within 1e-5, slicing more
// moves them further — and the sliced folder reopens (Qwen3's q/k head norms stored and read back).
// Qwen3's q/k norms act inside each head's dimension, which SliceGPT never rotates (only the residual width D):
// the rotation check below is what shows they commute with it.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openModel } from '../../core/model/source';
import { fusedSource } from '../../core/slicegpt/fuse';
import { logitsOf, relativeError, tokenWindows, withRunner } from './helpers';
import { checkInvariance } from './invariance-check';
import { checkErrorRisesWithRatio } from './ratio-check';
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

  test(`slicing the tiny ${name}: its logits move further from the dense model's as the ratio rises (0.1, 0.25, 0.5)`, async (t) => checkErrorRisesWithRatio(t, await folderOf(name), 32000));
}
