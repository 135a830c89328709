import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from './sweep';

test('slicing tiny-llama: perplexity rises monotonically over ratios 0.1, 0.2, 0.25, 0.3, 0.5', async () => {
  const { points } = await sweep('tiny-llama', [0.1, 0.2, 0.25, 0.3, 0.5]);
  const seen = JSON.stringify(points);
  for (let i = 1; i < points.length; i++) {
    const [a, b] = [points[i - 1], points[i]];
    // Ratios that round to the same width (D = 64: 0.2 and 0.25 both keep 48) give the same model.
    if (b.d === a.d) assert.equal(b.ppl, a.ppl, seen);
    else assert.ok(b.d < a.d && b.ppl > a.ppl, `ppl not rising: ${seen}`);
  }
  assert.deepEqual(points.map((p) => p.d % 8), [0, 0, 0, 0, 0]);
});
