// The speed bench's batched KV-cache decoding must be real greedy generation (it reproduces the
// published stories260K continuation in every row of a batch), and the bench must time every phase.
// Speeds themselves are measured by bench/speed.ts, not asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openModel } from '../../core/model/source';
import { loadTokenizer } from '../../core/model/tokenizer';
import { createBlockRunner } from '../../core/runtime/runner';
import { quietContext } from '../../core/base/job-context';
import { bench, BenchError, decodeGreedy, loadAllWeights } from '../../core/eval/speed';
import { join } from 'node:path';
import { sharedModel, SHARED_MODELS } from '../shared';

const STORIES = sharedModel('tiny-stories');

test('batched KV-cache greedy decoding reproduces the reference continuation in every row', async () => {
  const ref = JSON.parse(readFileSync(join(SHARED_MODELS, 'reference.json'), 'utf8'))['tiny-stories'].greedy;
  const source = await openModel(STORIES);
  const tok = await loadTokenizer(STORIES);
  const runner = await createBlockRunner(source.arch, { ep: 'cpu' });
  try {
    const w = await loadAllWeights(source);
    const prompt: number[] = ref.input_ids;
    const batch = 3;
    const ids = Int32Array.from({ length: batch * prompt.length }, (_, i) => prompt[i % prompt.length]);
    const out = await decodeGreedy(quietContext(), runner, w, ids, batch, ref.max_new_tokens);
    assert.equal(out.ids.length, ref.max_new_tokens);
    for (let b = 0; b < batch; b++) {
      const row = out.ids.map((step) => step[b]);
      assert.equal(tok.decode([...prompt, ...row], { skipSpecialTokens: true }), ref.text, `row ${b}`);
    }
    assert.ok(out.prefillSeconds > 0 && out.decodeSeconds > 0);
  } finally {
    await runner.dispose();
  }
});

test('bench reports prefill and decode speed at batch 1 and N, timed phases and peak RSS', async () => {
  const r = await bench(quietContext(), { model: STORIES, batch: 4, promptTokens: 16, newTokens: 4, repeats: 1 });
  assert.deepEqual(
    r.results.map((x) => x.batch),
    [1, 4],
  );
  for (const x of r.results) {
    assert.ok(x.prefill.tokensPerSecond > 0 && x.decode.msPerToken > 0);
    assert.equal(x.decode.steps, 4);
    assert.ok(Math.abs(x.decode.tokensPerSecond - (x.batch * 4) / x.decode.seconds) < 1e-9);
  }
  assert.deepEqual(Object.keys(r.phases), ['load', 'warmup', 'batch:1', 'batch:4']);
  assert.ok(r.memory.peakRssMB >= r.memory.rssAfterLoadMB && r.memory.rssAfterLoadMB > 0);
  assert.ok(r.parameters > 200_000 && r.parameters < 400_000); // stories260K, counted from the weights
  await assert.rejects(bench(quietContext(), { model: STORIES, promptTokens: 500, newTokens: 100 }), BenchError);
});
