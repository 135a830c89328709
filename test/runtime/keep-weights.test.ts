// Layer-major walks keep their layers between groups where the runner is resident on a GPU with room
// (core/runtime/keep-weights.ts): perplexity (forward.ts) and zero-shot scoring (eval/loglikelihood.ts) load each
// layer once instead of once per group, with the same numbers, and let the host values of what they keep go
// (runner.ts detachHost). On the CPU EP `resident: 'always'` runs the resident code path; keeping is asked for
// explicitly there (the default keeps only on a GPU EP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../core/model/source';
import type { ModelSource } from '../../core/model/model-source';
import { createBlockRunner } from '../../core/runtime/runner';
import { runLayer } from '../../core/runtime/contract';
import { forward, nextTokenTargets } from '../../core/runtime/forward';
import { windowsOf } from '../../core/runtime/perplexity';
import { keepAcrossGroups, layerBytes } from '../../core/runtime/keep-weights';
import { LoglikelihoodScorer } from '../../core/eval/loglikelihood';
import { SHARED_MODELS } from '../shared';
import { deviceTensorsHeld } from '../../core/runtime/transfer-count';
import { evaluate } from '../../core/eval/evaluate';
import { quietContext } from '../../core/base/job-context';

/** The shared model's source with its layer reads counted (the real source underneath). */
async function counted(name: string): Promise<{ src: ModelSource; reads: () => number }> {
  const src = await openModel(`${SHARED_MODELS}/${name}`);
  let n = 0;
  const layer = src.layer.bind(src);
  src.layer = (l: number) => {
    n++;
    return layer(l);
  };
  return { src, reads: () => n };
}

test('perplexity windows in several groups: kept layers are read once each and give the same NLL as reading them per group', async () => {
  const ids = Array.from({ length: 12 * 32 }, (_, i) => (i * 37 + 11) % 4096);
  const windows = windowsOf(ids, 32);
  const targets = windows.map(nextTokenTargets);
  // 2 windows a batch, 4 windows a group (4 × 32 × D float32): 3 groups.
  const run = async (keepWeights: boolean) => {
    const { src, reads } = await counted('tiny-llama');
    const runner = await createBlockRunner(src.arch, { resident: 'always' });
    const perWindow = 32 * src.config.hiddenSize * 4;
    const before = deviceTensorsHeld();
    const out = await forward(src, runner, windows, { targets, batch: 2, maxActivationBytes: 4 * perWindow, keepWeights });
    const held = deviceTensorsHeld() - before;
    await runner.dispose();
    return { nll: out.nll!, reads: reads(), layers: src.config.numLayers, held };
  };
  const streamed = await run(false);
  const kept = await run(true);
  assert.equal(streamed.reads, 3 * streamed.layers);
  assert.equal(kept.reads, kept.layers);
  assert.deepEqual(Array.from(kept.nll), Array.from(streamed.nll));
  // The kept uploads are released when the walk ends: it leaves the runner holding what a streamed walk leaves.
  assert.ok(kept.held <= streamed.held, `kept ${kept.held}, streamed ${streamed.held}`);
});

test('zero-shot scoring over several chunks: kept layers are read once each, same log-likelihoods as streaming', async () => {
  const groups = Array.from({ length: 3 }, (_, g) =>
    Array.from({ length: 2 }, (_, r) => {
      const input = Array.from({ length: 20 + g * 3 + r }, (_, i) => (i * 13 + g * 7 + r + 5) % 4000);
      return { input, continuation: input.slice(-4) };
    }),
  );
  const run = async (keepWeights: boolean) => {
    const { src, reads } = await counted('tiny-llama');
    const runner = await createBlockRunner(src.arch, { resident: 'always' });
    const scorer = await LoglikelihoodScorer.create(src, runner, { keepWeights });
    const scores = [];
    for (const g of groups) scores.push(...(await scorer.scoreGroups([g])));
    await runner.dispose();
    return { logliks: scores.flat().map((s) => s.loglik), reads: reads(), layers: src.config.numLayers };
  };
  const streamed = await run(false);
  const kept = await run(true);
  assert.equal(streamed.reads, 3 * streamed.layers);
  assert.equal(kept.reads, kept.layers);
  assert.deepEqual(kept.logliks, streamed.logliks);
});

test("an evaluation on a caller's resident runner leaves no kept uploads behind for the next one", async () => {
  const src = await openModel(`${SHARED_MODELS}/tiny-llama`);
  const runner = await createBlockRunner(src.arch, { resident: 'always' });
  const { loadTokenizer } = await import('../../core/model/tokenizer');
  const tokenizer = await loadTokenizer(src.folder);
  const ctx = quietContext();
  const before = deviceTensorsHeld();
  const held: number[] = [];
  for (let i = 0; i < 2; i++) {
    await evaluate(ctx, { model: src.folder, tasks: ['piqa'], limit: 4, ep: 'cpu', chunkDocs: 2 }, { source: src, tokenizer, runner });
    held.push(deviceTensorsHeld() - before);
  }
  // tiny-llama's float32 layers are under 1 GiB, so its scorer keeps them: the finished evaluation releases their uploads.
  assert.equal(held[1], held[0]);
  await runner.dispose();
});

test('by default layers are kept only by a runner resident on a GPU EP (one that can let the host values go)', async () => {
  const src = await openModel(`${SHARED_MODELS}/tiny-llama`);
  const resident = await createBlockRunner(src.arch, { resident: 'always' });
  const fed = await createBlockRunner(src.arch);
  // The CPU EP's resident runner is resident, but not on a GPU: nothing to gain from keeping uploads.
  assert.equal(keepAcrossGroups(resident), false);
  assert.equal(keepAcrossGroups(fed), false);
  const onGpu = Object.create(Object.getPrototypeOf(resident), { device: { value: { onDevice: true } } }) as typeof resident;
  assert.equal(keepAcrossGroups(onGpu), true);
  await resident.dispose();
  await fed.dispose();
});

test('a detached layer holds untouched placeholders where its matrices were uploaded, runs the same, and fails loudly once its copies are released', async () => {
  const src = await openModel(`${SHARED_MODELS}/tiny-llama`);
  const runner = await createBlockRunner(src.arch, { resident: 'always' });
  const w = await src.layer(0);
  if (w.kind !== 'sequential') throw new Error('tiny-llama has sequential blocks');
  const D = src.config.hiddenSize;
  const x = Float32Array.from({ length: 2 * 8 * D }, (_, i) => Math.sin(i * 0.37));
  const before = await runLayer(runner, w, x, 2, 8);
  const d = runner.detachHost(w);
  if (d.kind !== 'sequential') throw new Error('unreachable');
  assert.notEqual(d.attn.q.weight.data, w.attn.q.weight.data);
  assert.equal(d.attn.q.weight.data.length, w.attn.q.weight.data.length);
  assert.ok(
    d.attn.q.weight.data.every((v) => v === 0),
    'the placeholder holds no values',
  );
  assert.ok(d.attn.norm.weight !== undefined && d.attn.norm.weight === w.attn.norm.weight, 'vectors stay as they are');
  assert.deepEqual(Array.from(await runLayer(runner, d, x, 2, 8)), Array.from(before));
  await runner.releaseUploads();
  await assert.rejects(runLayer(runner, d, x, 2, 8), /lost its device copy/);
  // A fed runner has no device copies to keep: detachHost gives the weights back as they are.
  const fed = await createBlockRunner(src.arch);
  assert.equal(fed.detachHost(w), w);
  await runner.dispose();
  await fed.dispose();
});

test('layerBytes counts the float32 attention and MLP matrices of every layer (LLaMA-2-7B: ~25.9 GB)', () => {
  const c = { hiddenSize: 4096, numHeads: 32, numKvHeads: 32, headDim: 128, intermediateSize: 11008, gatedMlp: true, numLayers: 32 };
  assert.equal(layerBytes(c), 4 * 32 * (4 * 4096 * 4096 + 3 * 4096 * 11008));
  assert.ok(Math.abs(layerBytes(c) / 1e9 - 25.9) < 0.05);
});
