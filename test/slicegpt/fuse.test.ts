import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../core/model/source';
import { fusedSource } from '../../core/slicegpt/fuse';
import { SyntheticSource } from '../../core/slicegpt/synthetic-source';
import type { ModelSource } from '../../core/model/model-source';
import { MODELS, RANDOM_CONFIGS, logitsOf, modelPath, relativeError, tokenWindows, withRunner } from './helpers';

async function fusionError(src: ModelSource): Promise<number> {
  const windows = tokenWindows(src.config.vocabSize, 2, 48);
  return withRunner(src, async (r) => relativeError(await logitsOf(fusedSource(src), r, windows), await logitsOf(src, r, windows)));
}

for (const name of MODELS) {
  test(`fusing ${name} leaves its logits unchanged within 1e-5 relative`, async () => {
    const err = await fusionError(await openModel(modelPath(name)));
    assert.ok(err < 1e-5, `relative logit error ${err}`);
  });
}

for (const [family, raw] of Object.entries(RANDOM_CONFIGS)) {
  test(`fusing a random-weight ${family} model (random norm scales and shifts) leaves its logits unchanged within 1e-5 relative`, async () => {
    const err = await fusionError(new SyntheticSource(raw, 3));
    assert.ok(err < 1e-5, `relative logit error ${err}`);
  });
}

test('fused norms are weightless RMSNorms over the original width with the model eps', async () => {
  const src = await openModel(modelPath('tiny-opt'));
  const l = await fusedSource(src).layer(0);
  assert.equal(l.kind, 'sequential');
  if (l.kind !== 'sequential') return;
  assert.deepEqual(l.attn.norm, { kind: 'rmsnorm', eps: src.config.normEps, divisor: src.config.hiddenSize });
  // The attention output now writes zero-mean vectors: every column of W_o sums to zero.
  const { rows, cols, data } = l.attn.o.weight;
  let worst = 0;
  for (let j = 0; j < cols; j++) {
    let s = 0;
    for (let r = 0; r < rows; r++) s += data[r * cols + j];
    worst = Math.max(worst, Math.abs(s));
  }
  assert.ok(worst < 1e-5, `column sum ${worst}`);
});
