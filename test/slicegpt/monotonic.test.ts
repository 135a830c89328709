// Slicing more keeps less: for each shared tiny model, perplexity rises with the ratio (one test per model,
// the same assertions for each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from './sweep';

const RATIOS = [0.1, 0.2, 0.25, 0.3, 0.5];

for (const model of ['tiny-llama', 'tiny-opt', 'tiny-phi', 'tiny-stories']) {
  test(`slicing ${model}: perplexity rises monotonically over ratios ${RATIOS.join(', ')}`, async () => {
    const { points } = await sweep(model, RATIOS);
    const seen = JSON.stringify(points);
    for (let i = 1; i < points.length; i++) {
      const [a, b] = [points[i - 1], points[i]];
      // Ratios that round to the same width (D = 64: 0.2 and 0.25 both keep 48) give the same model.
      if (b.d === a.d) assert.equal(b.ppl, a.ppl, seen);
      else assert.ok(b.d < a.d && b.ppl > a.ppl, `ppl not rising: ${seen}`);
    }
    assert.deepEqual(
      points.map((p) => p.d % 8),
      [0, 0, 0, 0, 0],
    );
  });
}
