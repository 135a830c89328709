import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from './sweep';

test('slicing tiny-phi: perplexity rises monotonically over ratios 0.1, 0.2, 0.25, 0.3, 0.5', async () => {
  const { dense, points } = await sweep('tiny-phi', [0.1, 0.2, 0.25, 0.3, 0.5]);
  const ppl = [dense, ...points.map((p) => p.ppl)];
  for (let i = 1; i < ppl.length; i++) assert.ok(ppl[i] > ppl[i - 1], `ppl not rising: ${JSON.stringify(points)} (dense ${dense})`);
  assert.deepEqual(points.map((p) => p.d % 8), [0, 0, 0, 0, 0]);
});
