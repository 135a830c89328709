import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from './sweep';
import { MODELS } from './helpers';

for (const name of MODELS) {
  test(`slicing ${name} at ratio 0 (d = D, rotation only) reproduces the dense perplexity within 0.01 %`, async () => {
    const { dense, points } = await sweep(name, [0], { nsamples: 4, seqlen: 256, evalWindows: 8, dense: true });
    const rel = Math.abs(points[0].ppl - dense) / dense;
    assert.ok(rel < 1e-4, `dense ${dense}, ratio 0 ${points[0].ppl} (${(rel * 100).toFixed(5)} %)`);
  });
}
