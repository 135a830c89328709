// Which numbers stand for a slice, and which dense numbers stand beside them: the slice's own evaluation
// (never an export's verification, which scored the exported file, often on fewer windows), and the dense
// model's measurement under the same protocol and with the same items.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baselineOf, ownNumbers, type RunLike } from '../../core/eval/dense-baseline';
import { difference, pplProtocol, pplStderrOf, protocolLabel, protocolShort } from '../../core/runtime/ppl-protocol';

const P16 = pplProtocol('wikitext2', 256, 16, 1568);
const P64 = pplProtocol('wikitext2', 256, 64, 1568);
const P4 = pplProtocol('wikitext2', 256, 4);
const m = (name: string, value: number, extra: Partial<RunLike['metrics'][number]> = {}) => ({
  name,
  value,
  task: null,
  stderr: null,
  protocol: null,
  ...extra,
});
const acc = (task: string, v: number, n: number) => [m('acc', v, { task, stderr: 0.05 }), m('acc_norm', v, { task, stderr: 0.05 }), m('n', n, { task })];

const slice: RunLike = {
  id: 1,
  kind: 'slice',
  status: 'done',
  parentRunId: null,
  settings: { model: '/m/dense', out: '/s/25' },
  result: { out: '/s/25' },
  metrics: [m('d', 192)],
};
const evaluation: RunLike = {
  id: 2,
  kind: 'eval',
  status: 'done',
  parentRunId: 1,
  settings: { model: '/s/25' },
  metrics: [m('ppl', 201.7, { stderr: 9, protocol: P16 }), ...acc('piqa', 0.6, 50)],
};
const verify: RunLike = {
  id: 3,
  kind: 'verify',
  status: 'done',
  parentRunId: 1,
  settings: { path: '/e', source: '/s/25', model: '/s/25' },
  metrics: [m('ppl_export', 186.54, { protocol: P4 }), m('ppl_in_app', 186.54, { protocol: P4 })],
};
const dense16: RunLike = {
  id: 4,
  kind: 'eval',
  status: 'done',
  parentRunId: null,
  settings: { model: '/m/dense' },
  metrics: [m('ppl', 180.1, { stderr: 8, protocol: P16 }), ...acc('piqa', 0.62, 50)],
};
const dense64: RunLike = {
  id: 5,
  kind: 'ppl',
  status: 'done',
  parentRunId: null,
  settings: { model: '/m/dense' },
  metrics: [m('ppl', 179.6, { stderr: 4, protocol: P64 })],
};
const all = [slice, evaluation, verify, dense16, dense64];

test("a slice shows its own evaluation's perplexity and accuracy after a verification of its export", () => {
  const own = ownNumbers(slice, all);
  assert.equal(own.ppl?.value, 201.7);
  assert.deepEqual(own.ppl?.protocol, P16);
  assert.deepEqual(Object.keys(own.tasks), ['piqa']);
  assert.deepEqual(own.from, [2]);
});

test('a newer perplexity-only run replaces the perplexity but keeps the older run’s accuracy', () => {
  const again: RunLike = {
    id: 6,
    kind: 'ppl',
    status: 'done',
    parentRunId: 1,
    settings: { model: '/s/25' },
    metrics: [m('ppl', 209.3, { stderr: 4.5, protocol: P64 })],
  };
  const own = ownNumbers(slice, [...all, again]);
  assert.equal(own.ppl?.value, 209.3);
  assert.equal(own.tasks.piqa.find((x) => x.name === 'acc')?.value, 0.6);
  assert.deepEqual(own.from, [2, 6]);
});

test('the dense baseline is the dense run under the same protocol and with the same items, never another protocol', () => {
  const b = baselineOf(slice, all)!;
  assert.equal(b.dense, '/m/dense');
  assert.equal(b.ppl?.value, 180.1); // 16 windows, like the slice's evaluation; not the 64-window run
  assert.equal(b.tasks.piqa.find((x) => x.name === 'acc')?.value, 0.62);
  // The evaluation run itself finds the same baseline through its parent slice.
  assert.equal(baselineOf(evaluation, all)?.ppl?.value, 180.1);
  // A dense model has no dense baseline; other item counts do not match.
  assert.equal(baselineOf(dense16, all), null);
  const fewer: RunLike = { ...evaluation, id: 7, metrics: [...acc('piqa', 0.5, 20)] };
  assert.deepEqual(baselineOf(fewer, [...all, fewer])?.tasks, {});
});

test('differences carry √(se₁² + se₂²); perplexity stderr is ppl · sd(window NLL)/√n; labels name the protocol', () => {
  const d = difference({ value: 201.7, stderr: 9 }, { value: 180.1, stderr: 8 });
  assert.ok(Math.abs(d.value - 21.6) < 1e-9);
  assert.ok(Math.abs(d.stderr! - Math.sqrt(81 + 64)) < 1e-12);
  // Window NLLs 5, 5.2, 4.8, 5: sd 0.1633, mean 5 → se = e^5 · 0.1633 / 2.
  const se = pplStderrOf([5, 5.2, 4.8, 5], Math.exp(5));
  assert.ok(Math.abs(se - (Math.exp(5) * Math.sqrt(0.08 / 3)) / 2) < 1e-9, String(se));
  assert.equal(protocolLabel(P64), 'WikiText-2 test, first 64 of 1568 windows × 256 tokens');
  assert.equal(protocolLabel(pplProtocol('wikitext2', 256, 1568, 1568)), 'WikiText-2 test, all 1568 windows × 256 tokens');
  assert.equal(protocolShort(P64), '64×256');
});

test("a recovery (a slice run with job 'recover' under its slice) and its output's evaluation have the slice's dense model as baseline, and their own numbers", () => {
  const recovery: RunLike = { id: 8, kind: 'slice', status: 'done', parentRunId: 1, settings: { job: 'recover', model: '/s/25', out: '/r/25' }, result: { out: '/r/25' }, metrics: [] };
  const recoveredEval: RunLike = { id: 9, kind: 'eval', status: 'done', parentRunId: 8, settings: { model: '/r/25' }, metrics: [m('ppl', 190.2, { stderr: 8, protocol: P16 }), ...acc('piqa', 0.61, 50)] };
  const runs = [...all, recovery, recoveredEval];
  for (const r of [recovery, recoveredEval]) {
    const b = baselineOf(r, runs)!;
    assert.equal(b.dense, '/m/dense');
    assert.equal(b.ppl?.value, 180.1);
  }
  assert.equal(ownNumbers(recovery, runs).ppl?.value, 190.2);
  // The slice keeps its own numbers: the recovered folder's evaluation is not the slice's.
  assert.equal(ownNumbers(slice, runs).ppl?.value, 201.7);
});
