// The optimizer pieces and the data order of recovery fine-tuning, without a model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learningRate } from '../../core/recover/schedule';
import { clipGlobalNorm } from '../../core/recover/clip';
import { adamwState, adamwStep } from '../../core/recover/adamw';
import { exampleIndex, stepBatches, trainingSet } from '../../core/recover/data';
import { loadTokenizer } from '../../core/model/tokenizer';
import { sharedModel } from '../shared';

test('learning rate: linear warm-up from 0, then cosine (half at mid-way) or linear decay to 0 at the last step', () => {
  const s = { lr: 1e-3, warmup: 10, steps: 110, decay: 'cosine' as const };
  assert.equal(learningRate(s, 0), 0);
  assert.equal(learningRate(s, 5), 5e-4);
  assert.equal(learningRate(s, 10), 1e-3);
  assert.ok(Math.abs(learningRate(s, 60) - 5e-4) < 1e-15);
  assert.ok(learningRate(s, 110) < 1e-18);
  assert.ok(Math.abs(learningRate({ ...s, decay: 'linear' }, 35) - 7.5e-4) < 1e-15);
  assert.equal(learningRate({ ...s, decay: 'constant' }, 100), 1e-3);
});

test('clipping scales all gradients together to the global norm limit and returns the norm before clipping', () => {
  const g = [Float32Array.of(3, 0), Float32Array.of(4)];
  assert.equal(clipGlobalNorm(g, 1), 5);
  const after = Math.hypot(g[0][0], g[0][1], g[1][0]);
  assert.ok(Math.abs(after - 1) < 1e-6);
  assert.ok(Math.abs(g[0][0] / g[1][0] - 0.75) < 1e-6);
  const small = [Float32Array.of(0.3)];
  assert.ok(Math.abs(clipGlobalNorm(small, 1) - 0.3) < 1e-7);
  assert.equal(small[0][0], Math.fround(0.3));
});

test("AdamW: decoupled weight decay, bias-corrected moments (first step moves by lr·sign(g)), second step by the moments' ratio", () => {
  const p = [Float32Array.of(1, -2)];
  const s = adamwState(p);
  adamwStep(p, [Float32Array.of(0.5, -4)], s, 0.1, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
  assert.ok(Math.abs(p[0][0] - (1 * 0.99 - 0.1)) < 1e-6);
  assert.ok(Math.abs(p[0][1] - (-2 * 0.99 + 0.1)) < 1e-6);
  const p1 = p[0][0];
  adamwStep(p, [Float32Array.of(1.5, 0)], s, 0.1, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  const m = (0.9 * 0.05 + 0.1 * 1.5) / (1 - 0.81);
  const v = (0.999 * 0.00025 + 0.001 * 2.25) / (1 - 0.998001);
  assert.ok(Math.abs(p[0][0] - (p1 - (0.1 * m) / (Math.sqrt(v) + 1e-8))) < 1e-6);
  assert.equal(s.t, 2);
});

test('data: corpus windows, Alpaca-style records right-padded with unscored positions, seeded per-epoch order, step weights summing to 1', async () => {
  const tok = await loadTokenizer(sharedModel('tiny-llama'));
  const corpus = trainingSet(tok, { name: 'c', rows: ['one two three four five six seven eight nine ten '.repeat(20)] }, 16, false);
  assert.ok(corpus.examples.length >= 5);
  assert.ok(corpus.examples.every((e) => e.targets[15] === -1 && e.targets[0] === e.ids[1]));
  const records = trainingSet(tok, { name: 'r', rows: ['short one', 'a much longer document that goes on and on beyond the window for sure'] }, 12, true);
  const short = records.examples[0];
  const n = tok.encode('short one').length;
  assert.deepEqual([...short.targets.subarray(n - 1)], new Array(12 - n + 1).fill(-1));
  assert.equal(records.examples[1].ids.length, 12);
  const order = Array.from({ length: 10 }, (_, j) => exampleIndex(5, 42, j));
  assert.deepEqual([...order.slice(0, 5)].sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual([...order.slice(5)].sort(), [0, 1, 2, 3, 4]);
  assert.deepEqual(
    order,
    Array.from({ length: 10 }, (_, j) => exampleIndex(5, 42, j)),
  );
  const mbs = stepBatches(records, 1, 3, 1, 2);
  const total = mbs.reduce((s, mb) => s + mb.weights.reduce((a, w) => a + w, 0), 0);
  assert.ok(Math.abs(total - 1) < 1e-6);
  assert.ok(mbs.every((mb) => mb.tokens > 0 && mb.weights.filter((w) => w > 0).length === mb.tokens));
});
