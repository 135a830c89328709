// Perplexity with resident weights (each layer uploaded once for every window batch, released after it) on
// the CPU EP, where `resident: 'always'` runs the device code path: float32 moves perplexity by ≤ 0.05 %,
// float16 (weights, activations, shortcuts; norms, softmax and head in float32) by ≤ 0.2 % — #14's tolerances.
// The CPU EP's float16 kernels round like a GPU's (IEEE half); the device run checks the GPU numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wikitext2 } from '../../core/data/wikitext2';
import { openModel } from '../../core/model/source';
import { loadTokenizer } from '../../core/model/tokenizer';
import { withBlockRunner } from '../../core/runtime/runner';
import { perplexityOfIds, perplexityWithRunner } from '../../core/runtime/perplexity';
import { sharedModel } from '../shared';

for (const name of ['tiny-llama', 'tiny-phi'] as const) {
  test(`${name}: resident float32 perplexity within 0.05 % of fed weights, float16 within 0.2 %`, async () => {
    const src = await openModel(sharedModel(name));
    const rows = (await wikitext2('test')).rows.slice(0, 120);
    const ids = (await loadTokenizer(src.folder)).encodeCorpus(rows, '\n\n');
    const opts = { seqLen: 128, maxWindows: 8, batch: 4 };
    const fed = await withBlockRunner(src.arch, { ep: 'cpu' }, (r) => perplexityOfIds(src, r, ids, opts));
    const f32 = await withBlockRunner(src.arch, { ep: 'cpu', resident: 'always' }, (r) => perplexityOfIds(src, r, ids, opts));
    const f16 = await withBlockRunner(src.arch, { ep: 'cpu', resident: 'always', passDtype: 'f16' }, (r) => perplexityOfIds(src, r, ids, opts));
    const rel = (x: number) => Math.abs(x - fed.ppl) / fed.ppl;
    assert.ok(rel(f32.ppl) <= 5e-4, `float32: ${rel(f32.ppl)}`);
    assert.ok(rel(f16.ppl) <= 2e-3, `float16: ${rel(f16.ppl)}`);
  });
}

test('perplexity reports where its weights lived: host memory on the CPU EP', async () => {
  const src = await openModel(sharedModel('tiny-llama'));
  const r = await perplexityWithRunner(
    src,
    Int32Array.from({ length: 300 }, (_, i) => (i * 13) % 4000),
    { seqLen: 64, maxWindows: 2 },
  );
  assert.equal(r.plan?.placement, 'host');
  assert.match(r.plan?.reason ?? '', /^CPU: weights in host memory \(f32\)$/);
});
