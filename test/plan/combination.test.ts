import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGpuList } from '../../core/plan/index';
import { planCombination, TYPE_RULE } from '../../core/plan/combination';
import { published } from './configs';

const c = published('llama-2-7b-hf');
const gpu8 = parseGpuList('8');
const types = ['fp16', 'q8_0', 'q4_0'] as const;

test('without measurements the rule picks, for LLaMA-2-7B on one 8 GB GPU at 4096 tokens, dense Q4_0 over a 32 % slice in Q8_0', () => {
  const p = planCombination(c, gpu8, { ctx: 4096, batch: 1 }, [], types);
  assert.deepEqual(
    p.candidates.map((x) => [x.format, x.ratio, x.basis]),
    [
      ['q4_0', 0, 'rule'],
      ['q8_0', 0.32, 'rule'],
    ],
  );
  assert.equal(p.best?.format, 'q4_0');
  assert.ok(Math.abs(p.best!.expectedFactor - (1 + TYPE_RULE.q4_0)) < 1e-12);
  assert.ok(
    p.candidates.every((x) => x.totalBytes <= 8 * 2 ** 30),
    'every candidate fits the GPU',
  );
  assert.match(p.rule, /where nothing is measured/);
});

test('measured perplexities of this model replace the rule: a bad Q4_0 measurement makes the sliced Q8_0 the proposal', () => {
  const measured = [
    { ratio: 0, dtype: null, ppl: 5.47 },
    { ratio: 0, dtype: 'q4_0' as const, ppl: 7.9 }, // 1.44× dense
    { ratio: 0.32, dtype: null, ppl: 6.9 }, // the slice in the app: 1.26×, Q8_0 by rule on top
  ];
  const p = planCombination(c, gpu8, { ctx: 4096, batch: 1 }, measured, types);
  assert.equal(p.best?.format, 'q8_0');
  assert.equal(p.best?.basis, 'measured slice × type rule');
  assert.ok(Math.abs(p.best!.expectedFactor - (6.9 / 5.47) * (1 + TYPE_RULE.q8_0)) < 1e-12);
  const q4 = p.candidates.find((x) => x.format === 'q4_0')!;
  assert.equal(q4.basis, 'measured');
  assert.ok(Math.abs(q4.expectedFactor - 7.9 / 5.47) < 1e-12);
});

test('a GPU too small for every type proposes nothing', () => {
  const p = planCombination(c, parseGpuList('1'), { ctx: 4096, batch: 1 }, [], types);
  assert.equal(p.best, null);
  assert.deepEqual(p.candidates, []);
});

test('the (ratio, GGUF type) planner offers every GGUF row, q5_k, q4_k_m and q5_k_m included, each sized as the exporter writes it (the mixtures above their pure type)', () => {
  const p = planCombination(c, gpu8, { ctx: 4096, batch: 1 });
  const byType = new Map(p.candidates.map((x) => [x.format, x]));
  for (const f of ['q4_k', 'q5_k', 'q6_k', 'q4_k_m', 'q5_k_m'] as const) assert.ok(byType.has(f), `${f} in ${[...byType.keys()].join(', ')}`);
  // A mixture holds more bits (Q6_K attn_v/ffn_down layers, Q6_K head) than its pure type: larger at the same
  // ratio, or it needs a larger ratio to fit.
  for (const [pure, mix] of [
    ['q4_k', 'q4_k_m'],
    ['q5_k', 'q5_k_m'],
  ] as const) {
    const a = byType.get(pure)!;
    const b = byType.get(mix)!;
    assert.ok(b.ratio > a.ratio || (b.ratio === a.ratio && b.totalBytes > a.totalBytes), `${mix} (${b.ratio}, ${b.totalBytes}) vs ${pure} (${a.ratio}, ${a.totalBytes})`);
  }
});
