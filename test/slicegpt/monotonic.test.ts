// Slicing more keeps less: for each shared tiny model, perplexity rises with the ratio (one test per model,
// the same assertions for each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertRising, sweep } from './sweep';

const RATIOS = [0.1, 0.2, 0.25, 0.3, 0.5];

for (const model of ['tiny-llama', 'tiny-opt', 'tiny-phi', 'tiny-stories']) {
  test(`slicing ${model}: perplexity rises monotonically over ratios ${RATIOS.join(', ')}`, async () => {
    const { points } = await sweep(model, RATIOS);
    assertRising(points);
    assert.deepEqual(points.map((p) => p.d % 8), [0, 0, 0, 0, 0]);
  });
}
