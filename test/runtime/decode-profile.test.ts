// What one decoding step does on a GPU EP, counted on the CPU EP (`resident: 'always'` runs the device code
// path; transfer-count.ts counts as a GPU EP would move tensors): per token, the block runs are fed device
// tensors only — norm weights and biases uploaded once, the RoPE tables and mask uploaded in one run, the
// head fed the last row on the device — so only the embedding (the new ids) and that one upload are fed
// from the host, only the logits come back, and the greedy tokens equal the fed mode's on the tiny families.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openAnyModel } from '../../core/slicegpt/open';
import { createBlockRunner } from '../../core/runtime/runner';
import { loadDecodeWeights } from '../../core/runtime/decode-step';
import { profileDecoding } from '../../core/runtime/decode-profile';
import { modelPath } from '../slicegpt/helpers';

const PROMPT = Int32Array.from([1, 45, 195, 31, 27, 33, 38]);

for (const family of ['tiny-llama', 'tiny-opt', 'tiny-phi']) {
  test(`${family}: a resident decoding step is fed from the host in 2 runs (embed, positional upload) and syncs once (logits), with the fed mode's greedy tokens`, async () => {
    const src = await openAnyModel(modelPath(family));
    const w = await loadDecodeWeights(src);
    const L = w.layers.length;
    const blocksPerLayer = w.layers[0].kind === 'parallel' ? 1 : 2;
    const fed = await createBlockRunner(src.arch, { ep: 'cpu' });
    const res = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', decoding: true, passDtype: 'f32' });
    try {
      const want = (await profileDecoding(fed, w, PROMPT, 1, 6)).ids.map((x) => x[0]);
      await profileDecoding(res, w, Int32Array.of(1, 2), 1, 1); // first use uploads the weights (other positions: no table reused)
      const p = await profileDecoding(res, w, PROMPT, 1, 6);
      assert.deepEqual(
        p.ids.map((x) => x[0]),
        want,
      );
      // embed + positional upload + the blocks + last row (on the device) + head.
      assert.equal(p.perToken.runs, 1 + 1 + blocksPerLayer * L + 1 + 1);
      assert.equal(p.perToken.hostFedRuns, 2);
      assert.equal(p.perToken.byKind['pass:attention']?.hostFedRuns ?? p.perToken.byKind['pass:parallel'].hostFedRuns, 0);
      assert.equal(p.perToken.syncs, 1, 'only the logits come back');
      assert.equal(p.perToken.byKind['pass:head'].uploadMB, 0, 'the head is fed the last row on the device');
      assert.equal(p.prefill.hostFedRuns, 2);
    } finally {
      await fed.dispose();
      await res.dispose();
    }
  });
}
