// Acceptance for the scorer: for each task, one item's log-likelihoods are recomputed by hand with the
// runtime — encode the way lm-eval does, run the model one sequence at a time, take full logits and sum
// float64 log-softmax over the continuation — and the evaluator must have used those numbers and picked
// the argmax. Plus the lm-eval tokenization rules, batching invariance, progress and cancel.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { loadTokenizer, type Tokenizer } from '../../core/model/tokenizer';
import { createBlockRunner } from '../../core/runtime/runner';
import { runLayer, type BlockRunner } from '../../core/runtime/contract';
import type { ModelSource } from '../../core/model/model-source';
import { CancelledError, quietContext, type ProgressUpdate } from '../../core/base/job-context';
import { evaluate, encodeDoc, type ItemRecord } from '../../core/eval/evaluate';
import { encodePair, modelInput } from '../../core/eval/encode';
import { LoglikelihoodScorer } from '../../core/eval/loglikelihood';
import { TASKS, TASK_NAMES } from '../../core/eval/tasks/index';
import { sharedModel } from '../shared';

const MODEL = sharedModel('tiny-llama');
let source: ModelSource;
let tok: Tokenizer;
let runner: BlockRunner;
let dir: string;

before(async () => {
  source = await openModel(MODEL);
  tok = await loadTokenizer(MODEL);
  runner = await createBlockRunner(source.arch, { ep: 'cpu' });
  dir = mkdtempSync(join(tmpdir(), 'eval-'));
});
after(async () => {
  await runner.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Σ log p(continuation) computed from full logits of one unpadded sequence, in float64. */
async function byHand(context: string, continuation: string): Promise<{ ll: number; n: number }> {
  // lm-eval _encode_pair, spelled out: move trailing spaces, encode whole and context, split by count.
  const m = /\s+$/.exec(context);
  if (m) {
    continuation = m[0] + continuation;
    context = context.slice(0, m.index);
  }
  const whole = tok.encode(context + continuation, { addSpecialTokens: false });
  const ctxLen = tok.encode(context, { addSpecialTokens: false }).length;
  const cont = whole.slice(ctxLen);
  const input = Int32Array.from(whole.slice(0, -1));
  const seq = input.length;
  let x = await runner.embed(await source.embedding(), input, 1, seq);
  for (let l = 0; l < source.config.numLayers; l++) x = await runLayer(runner, await source.layer(l), x, 1, seq);
  const head = await source.head();
  const { logits } = await runner.head(head, x, 1, seq, { logits: true });
  const V = head.lm.weight.rows;
  let ll = 0;
  for (let k = 0; k < cont.length; k++) {
    const pos = seq - cont.length + k;
    const row = logits!.subarray(pos * V, (pos + 1) * V);
    let mx = -Infinity;
    for (const v of row) mx = Math.max(mx, v);
    let s = 0;
    for (const v of row) s += Math.exp(v - mx);
    ll += row[cont[k]] - mx - Math.log(s);
  }
  return { ll, n: cont.length };
}

test('for every task, the evaluator used the hand-computed log-likelihoods and picked their argmax', async () => {
  const artifactPath = join(dir, 'items.jsonl');
  const res = await evaluate(quietContext(), { model: MODEL, limit: 2, artifactPath }, { source, tokenizer: tok, runner });
  assert.deepEqual(
    res.tasks.map((t) => t.task),
    [...TASK_NAMES],
  );
  const records = readFileSync(artifactPath, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ItemRecord);
  assert.equal(records.length, 10);
  for (const name of TASK_NAMES) {
    const doc = TASKS[name].load(2)[1];
    const rec = records.find((r) => r.task === name && r.index === 1)!;
    const hand = await Promise.all(doc.requests.map((r) => byHand(r.context, r.continuation)));
    assert.deepEqual(
      rec.tokens,
      hand.map((h) => h.n),
      `${name}: continuation token counts`,
    );
    for (let i = 0; i < hand.length; i++) {
      assert.ok(Math.abs(rec.logliks[i] - hand[i].ll) < 2e-3, `${name} choice ${i}: scorer ${rec.logliks[i]} vs hand ${hand[i].ll}`);
    }
    const argmax = hand.reduce((b, h, i) => (h.ll > hand[b].ll ? i : b), 0);
    assert.equal(rec.pred, argmax, `${name}: predicted index`);
    assert.equal(rec.gold, doc.gold);
    assert.equal(rec.acc, argmax === doc.gold ? 1 : 0);
    const norm = hand.map((h, i) => h.ll / [...doc.choices[i]].length);
    assert.equal(
      rec.predNorm,
      norm.reduce((b, v, i) => (v > norm[b] ? i : b), 0),
      `${name}: acc_norm index`,
    );
  }
  const t = res.tasks[0];
  assert.equal(t.n, 2);
  assert.ok(t.acc >= 0 && t.acc <= 1 && Number.isFinite(t.accStderr));
});

test('lm-eval pair encoding: trailing context spaces move to the continuation; empty context is the BOS prefix', () => {
  const a = encodePair(tok, 'Question: why?\nAnswer: ', 'because', 1);
  const b = encodePair(tok, 'Question: why?\nAnswer:', ' because', 1);
  assert.deepEqual(a, b);
  const whole = tok.encode('Question: why?\nAnswer: because', { addSpecialTokens: false });
  assert.deepEqual([...a.context, ...a.continuation], whole);
  assert.deepEqual(encodePair(tok, '', ' hello', tok.bosTokenId), { context: [tok.bosTokenId!], continuation: tok.encode(' hello', { addSpecialTokens: false }) });
});

test('packing several documents into one padded forward pass does not change their scores', async () => {
  const docs = TASKS.arc_easy.load(6);
  const inputs = docs.map((d) => encodeDoc(d, tok, tok.bosTokenId, source.config.maxPositions));
  const packed = await (await LoglikelihoodScorer.create(source, runner, { maxBatchRows: 64 })).scoreGroups(inputs);
  const alone = await (await LoglikelihoodScorer.create(source, runner, { maxBatchRows: 1 })).scoreGroups(inputs);
  for (let d = 0; d < docs.length; d++) {
    for (let c = 0; c < docs[d].choices.length; c++) assert.ok(Math.abs(packed[d][c].loglik - alone[d][c].loglik) < 1e-3);
  }
});

test('greedy mode reports is_greedy from the argmax of the logits', async () => {
  // Continuation = the model's own greedy token after a prompt: is_greedy must be true; a different token: false.
  const ids = tok.encode('Question: What is the capital of France?\nAnswer:', { addSpecialTokens: false });
  const scorer = await LoglikelihoodScorer.create(source, runner, { greedy: true });
  const probe = await scorer.scoreGroups([[{ input: ids.slice(0, -1), continuation: [ids[ids.length - 1]] }]]);
  const x = await (async () => {
    let h = await runner.embed(await source.embedding(), Int32Array.from(ids), 1, ids.length);
    for (let l = 0; l < source.config.numLayers; l++) h = await runLayer(runner, await source.layer(l), h, 1, ids.length);
    return h;
  })();
  const head = await source.head();
  const V = head.lm.weight.rows;
  const { logits } = await runner.head(head, x.subarray((ids.length - 1) * (x.length / ids.length)), 1, 1, { logits: true });
  let best = 0;
  for (let v = 1; v < V; v++) if (logits![v] > logits![best]) best = v;
  const [[yes, no]] = await scorer.scoreGroups([
    [
      { input: ids, continuation: [best] },
      { input: ids, continuation: [(best + 1) % V] },
    ],
  ]);
  assert.equal(yes.isGreedy, true);
  assert.equal(no.isGreedy, false);
  assert.ok(yes.loglik > no.loglik);
  assert.equal(typeof probe[0][0].isGreedy, 'boolean');
});

test('evaluation reports per-task progress with an ETA and stops on cancel', async () => {
  const seen: ProgressUpdate[] = [];
  await evaluate({ ...quietContext(), progress: (p) => seen.push(p) }, { model: MODEL, tasks: 'winogrande', limit: 4, chunkDocs: 2 }, { source, tokenizer: tok, runner });
  const task = seen.filter((p) => p.phase === 'task:winogrande');
  assert.ok(task.length >= 2);
  assert.deepEqual(task.at(-1)!.data, { task: 'winogrande', done: 4, total: 4 });
  assert.ok(task.every((p) => typeof p.etaSeconds === 'number' && p.fraction! > 0 && p.fraction! <= 1));
  assert.equal(seen.at(-1)!.phase, 'done');

  const ac = new AbortController();
  const ctx = { ...quietContext(ac.signal), progress: () => ac.abort() };
  await assert.rejects(evaluate(ctx, { model: MODEL, tasks: 'piqa', limit: 50, chunkDocs: 5 }, { source, tokenizer: tok, runner }), CancelledError);
});

test('the window cuts the context from the left; a continuation longer than the window is scored on its tail', () => {
  const ctx = Array.from({ length: 10 }, (_, i) => i);
  const cont = [100, 101, 102];
  assert.deepEqual(modelInput({ context: ctx, continuation: cont }, 6), { input: [6, 7, 8, 9, 100, 101], continuation: cont });
  const long = Array.from({ length: 9 }, (_, i) => 200 + i);
  assert.deepEqual(modelInput({ context: [1, 2], continuation: long }, 4), { input: [204, 205, 206, 207], continuation: [205, 206, 207, 208], dropped: 5 });
});
