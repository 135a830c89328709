// The speed bench's batched KV-cache decoding must be real greedy generation (it reproduces the
// published stories260K continuation in every row of a batch), and the bench must time every shape.
// Speeds themselves are measured by bench/speed.ts, not asserted here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openModel } from '../../core/model/source';
import { loadTokenizer } from '../../core/model/tokenizer';
import { createBlockRunner } from '../../core/runtime/runner';
import { quietContext } from '../../core/base/job-context';
import { bench, BenchError, decodeGreedy, loadAllWeights, speedShapes } from '../../core/eval/speed';
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

test('bench measures prefill at batch 1 and B and decoding at batch 1 and B′, each at its own prompt length, with timed phases and peak RSS', async () => {
  const r = await bench(quietContext(), { model: STORIES, prefillBatch: 4, promptTokens: 16, decodeBatch: 3, decodePrompt: 8, newTokens: 4, repeats: 1 });
  assert.deepEqual(
    r.prefill.map((x) => [x.batch, x.promptTokens]),
    [
      [1, 16],
      [4, 16],
    ],
  );
  assert.deepEqual(
    r.decode.map((x) => [x.batch, x.promptTokens, x.steps]),
    [
      [1, 8, 4],
      [3, 8, 4],
    ],
  );
  for (const x of r.prefill) assert.ok(Math.abs(x.tokensPerSecond! - (x.batch * 16) / x.seconds!) < 1e-9 && x.seconds! > 0);
  for (const x of r.decode) {
    assert.ok(x.msPerToken! > 0);
    assert.ok(Math.abs(x.tokensPerSecond! - (x.batch * 4) / x.seconds!) < 1e-9);
  }
  assert.deepEqual(Object.keys(r.phases), ['load', 'warmup', 'prefill:1', 'prefill:4', 'decode:1', 'decode:3']);
  // The CPU EP decodes with ORT at every batch, and the result says so.
  assert.deepEqual(r.decodeEngine, { engine: 'ort', reason: 'the cpu EP decodes with ORT' });
  assert.deepEqual(
    r.decode.map((x) => x.engine),
    ['ort', 'ort'],
  );
  assert.ok(r.memory.peakRssMB >= r.memory.rssAfterLoadMB && r.memory.rssAfterLoadMB > 0);
  assert.ok(r.parameters > 200_000 && r.parameters < 400_000); // stories260K, counted from the weights
  await assert.rejects(bench(quietContext(), { model: STORIES, decodePrompt: 500, newTokens: 100 }), BenchError);
  await assert.rejects(bench(quietContext(), { model: STORIES, promptTokens: 513 }), BenchError);
});

test('default shapes are sized for the model: the benchmark’s 2048 / 128-token prompts at 4096 positions, a half and an eighth of a 512-position model', () => {
  assert.deepEqual(speedShapes(4096), { promptTokens: 2048, prefillBatch: 8, decodePrompt: 128, decodeBatch: 16, newTokens: 32, repeats: 2 });
  assert.deepEqual(speedShapes(512), { promptTokens: 256, prefillBatch: 8, decodePrompt: 64, decodeBatch: 16, newTokens: 32, repeats: 2 });
  assert.deepEqual(speedShapes(512, { batch: 2 }), { promptTokens: 256, prefillBatch: 2, decodePrompt: 64, decodeBatch: 2, newTokens: 32, repeats: 2 });
  assert.throws(() => speedShapes(512, { repeats: 0 }), { name: 'BenchError', message: 'repeats must be a positive integer, got 0' });
});
