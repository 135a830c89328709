// Sampled decoding: the chooser's rules on hand-made logits (greedy, temperature, the top-p nucleus, one
// seed one stream), and on a real model a seeded sample that reproduces token for token.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, argmaxRows, tokenChooser } from '../../core/runtime/sampling';
import { generate } from '../../core/runtime/generate';
import { sharedModel } from '../shared';

const stories = sharedModel('tiny-stories');

test('without sampling options, or at temperature 0, the chooser is argmax', () => {
  const logits = Float32Array.of(0.1, 3, -2, 2.9);
  assert.equal(tokenChooser()(logits), 1);
  assert.equal(tokenChooser({ temperature: 0, topP: 0.5, seed: 3 })(logits), 1);
  assert.equal(argmax(logits), 1);
});

test('a sampling chooser draws the same tokens for the same seed and others for another seed', () => {
  const logits = Float32Array.from({ length: 50 }, (_, j) => Math.sin(j));
  const draws = (seed: number) => {
    const choose = tokenChooser({ temperature: 1, topP: 1, seed });
    return Array.from({ length: 20 }, () => choose(logits));
  };
  assert.deepEqual(draws(42), draws(42));
  assert.notDeepEqual(draws(43), draws(42));
});

test('top-p keeps only the nucleus: tokens outside the smallest set reaching p are never drawn', () => {
  // Probabilities ∝ e^logit: 0.665, 0.245, 0.090 (three tokens) and a negligible fourth.
  const logits = Float32Array.of(2, 1, 0, -20);
  const counts = [0, 0, 0, 0];
  const choose = tokenChooser({ temperature: 1, topP: 0.8, seed: 7 });
  for (let i = 0; i < 2000; i++) counts[choose(logits)]++;
  assert.equal(counts[2] + counts[3], 0, `drawn outside the 0.8 nucleus: ${counts}`);
  // Renormalised inside the nucleus: 0.665 / 0.910 ≈ 0.731 of the draws.
  assert.ok(Math.abs(counts[0] / 2000 - 0.731) < 0.04, `token 0 drawn ${counts[0]} of 2000`);
});

test('temperature flattens (high) or sharpens (low) the distribution drawn from', () => {
  const logits = Float32Array.of(1, 0);
  const share = (t: number) => {
    const choose = tokenChooser({ temperature: t, topP: 1, seed: 1 });
    let top = 0;
    for (let i = 0; i < 2000; i++) top += choose(logits) === 0 ? 1 : 0;
    return top / 2000;
  };
  // softmax([1, 0] / T)[0]: T = 0.25 → 0.982, T = 1 → 0.731, T = 4 → 0.562.
  assert.ok(Math.abs(share(0.25) - 0.982) < 0.02);
  assert.ok(Math.abs(share(1) - 0.731) < 0.04);
  assert.ok(Math.abs(share(4) - 0.562) < 0.04);
});

test('tiny-stories: a seeded sample reproduces token for token; another seed gives another text; a vanishing top-p is greedy', async () => {
  const prompt = 'Once upon a time';
  const sampled = (seed: number, topP = 0.95) => generate({ model: stories, prompt, maxNewTokens: 24, stopIds: [], sampling: { temperature: 0.9, topP, seed } });
  const a = await sampled(1234);
  const b = await sampled(1234);
  assert.deepEqual(b.ids, a.ids);
  assert.equal(b.text, a.text);
  const c = await sampled(99);
  assert.notDeepEqual(c.ids, a.ids);
  const greedy = await generate({ model: stories, prompt, maxNewTokens: 24, stopIds: [] });
  assert.deepEqual((await sampled(5, 1e-9)).ids, greedy.ids);
  assert.notDeepEqual(a.ids, greedy.ids);
});

test('argmaxRows takes each row of a batch on its own, the first index on ties', () => {
  const logits = Float32Array.from([0.1, 0.9, 0.2, 5, 5, -1, -3, -2, -2.5]);
  assert.deepEqual([...argmaxRows(logits, 3)], [1, 0, 1]);
});
