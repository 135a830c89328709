// The layer-streamed step (blocks read from the sliced folder one at a time, internals recomputed in
// the backward) against the one-graph step: same loss, same gradients, same adapters after an AdamW
// step — on tiny-llama (RMSNorm, SwiGLU, rotary, untied) and tiny-opt (LayerNorm, biases, learned
// positions, tied embedding stored once) sliced at 25 %, over two accumulated micro-batches with padding.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { SlicedModelSource, tensorNames } from '../../core/slicegpt/sliced-source';
import { loadModelWeights } from '../../core/recover/train-graph';
import { initAdapters, type LoraAdapter } from '../../core/recover/lora';
import { TrainStep, type StepGradients } from '../../core/recover/step';
import { StreamedStep, streamedModel } from '../../core/recover/streamed-step';
import { adamwState, adamwStep } from '../../core/recover/adamw';
import { quietContext } from '../../core/base/job-context';
import { recoverModel } from '../../core/recover/train';
import { mulberry32 } from '../../core/data/prng';
import type { MicroBatch } from '../../core/recover/data';
import { sharedModel } from '../shared';

const B = 2;
const S = 16;
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'rft-stream-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

function microBatch(seed: number): MicroBatch {
  const rng = mulberry32(seed);
  const mb: MicroBatch = { ids: new Int32Array(B * S), targets: new Int32Array(B * S), weights: new Float32Array(B * S), tokens: 0 };
  for (let i = 0; i < B * S; i++) mb.ids[i] = 3 + Math.floor(rng() * 2000);
  const scored = (i: number) => i % S !== S - 1 && !(i >= S && i % S >= S - 4); // right padding in the second sequence
  for (let i = 0; i < B * S; i++) if (scored(i)) mb.tokens++;
  for (let i = 0; i < B * S; i++) if (scored(i)) [mb.targets[i], mb.weights[i]] = [mb.ids[i + 1], 1 / mb.tokens];
  return mb;
}

function adapters(src: SlicedModelSource, layers: Parameters<typeof initAdapters>[0]): LoraAdapter[] {
  const a = initAdapters(layers, { rank: 4, alpha: 8 }, tensorNames(src.config), 3);
  const rng = mulberry32(11);
  for (const x of a) for (let i = 0; i < x.B.length; i++) x.B[i] = (rng() * 2 - 1) * 0.05;
  return a;
}

async function accumulate(step: { run(mb: MicroBatch, a: LoraAdapter[]): Promise<StepGradients> }, a: LoraAdapter[]): Promise<{ loss: number; grads: Float32Array[] }> {
  let loss = 0;
  let grads: Float32Array[] = [];
  for (const seed of [1, 2]) {
    const r = await step.run(microBatch(seed), a);
    loss += r.loss;
    const flat = r.grads.flatMap((g) => [g.A, g.B]);
    grads = grads.length ? grads.map((g, k) => g.map((v, i) => v + flat[k][i])) : flat.map((g) => Float32Array.from(g));
  }
  return { loss, grads };
}

for (const name of ['tiny-llama', 'tiny-opt']) {
  test(`${name} sliced 25 %: the layer-streamed step gives the one-graph step's loss, gradients (1e-5 of the largest) and adapters after two AdamW steps (1e-6)`, async () => {
    const out = join(dir, name);
    await sliceModel(quietContext(), { model: sharedModel(name), ratio: 0.25, cal: 'wikitext2', nsamples: 8, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, dtype: 'float32' });
    const src = await SlicedModelSource.create(out);
    const m = await loadModelWeights(src);
    const whole = adapters(src, m.layers);
    const streamedA = adapters(src, m.layers);
    const one = await TrainStep.create(m, whole, { batch: B, seq: S, scale: 2 });
    const streamed = new StreamedStep(await streamedModel(src), { batch: B, seq: S, scale: 2 });
    const r1 = await accumulate(one, whole);
    const r2 = await accumulate(streamed, streamedA);
    await one.dispose();
    await streamed.dispose();

    assert.ok(Math.abs(r1.loss - r2.loss) <= 1e-6 * Math.abs(r1.loss), `loss: one graph ${r1.loss}, streamed ${r2.loss}`);
    const gmax = Math.max(...r1.grads.map((g) => g.reduce((s, v) => Math.max(s, Math.abs(v)), 0)));
    assert.ok(gmax > 0);
    // float32 sums in another order (the one graph's weights are prepacked constants): a few 1e-6 of the largest.
    let gworst = 0;
    r1.grads.forEach((g, k) => g.forEach((v, i) => (gworst = Math.max(gworst, Math.abs(v - r2.grads[k][i])))));
    assert.ok(gworst <= 1e-5 * gmax, `gradients differ by up to ${gworst} (largest ${gmax})`);

    // Two AdamW steps (the second's update is no longer ±lr per coordinate) on each path's own gradients.
    const lr = 1e-3;
    const p1 = whole.flatMap((x) => [x.A, x.B]);
    const p2 = streamedA.flatMap((x) => [x.A, x.B]);
    const s1 = adamwState(p1);
    const s2 = adamwState(p2);
    adamwStep(p1, r1.grads, s1, lr);
    adamwStep(p2, r2.grads, s2, lr);
    const q1 = await accumulate(await TrainStep.create(m, whole, { batch: B, seq: S, scale: 2 }), whole);
    const q2 = await accumulate(new StreamedStep(await streamedModel(src), { batch: B, seq: S, scale: 2 }), streamedA);
    assert.ok(Math.abs(q1.loss - q2.loss) <= 1e-6 * Math.abs(q1.loss), `loss after a step: ${q1.loss} vs ${q2.loss}`);
    adamwStep(p1, q1.grads, s1, lr);
    adamwStep(p2, q2.grads, s2, lr);
    // Adam divides by √v: where a gradient is ≈ 0 (|g| < 1e-3 of the largest, in either step) float32
    // rounding moves the normalized update freely, as for any two engines; elsewhere the update is pinned.
    let worst = 0;
    let anywhere = 0;
    p1.forEach((p, k) =>
      p.forEach((v, i) => {
        const d = Math.abs(v - p2[k][i]);
        anywhere = Math.max(anywhere, d);
        if (Math.abs(r1.grads[k][i]) >= 1e-3 * gmax && Math.abs(q1.grads[k][i]) >= 1e-3 * gmax) worst = Math.max(worst, d);
      }),
    );
    assert.ok(worst <= 1e-6, `updated adapters differ by up to ${worst}`);
    assert.ok(anywhere <= 0.1 * lr, `updated adapters differ by up to ${anywhere} where g ≈ 0`);
    console.log(`${name}: loss ${r1.loss} vs ${r2.loss}; gradients differ ≤ ${gworst.toExponential(2)} (largest ${gmax.toFixed(3)}); adapters after 2 steps ≤ ${worst.toExponential(2)} (${anywhere.toExponential(2)} counting g ≈ 0)`);
  });
}

test('recover --engine streamed trains and merges like the one-graph engine: same loss curve, same merged weights (tiny-llama, 3 steps)', async () => {
  const model = join(dir, 'tiny-llama');
  const run = (engine: 'whole' | 'streamed') =>
    recoverModel(quietContext(), {
      model,
      data: 'wikitext2',
      out: join(dir, `rft-${engine}`),
      rank: 4,
      alpha: 8,
      steps: 3,
      lr: 1e-3,
      warmup: 0,
      decay: 'constant',
      batch: 1,
      accum: 2,
      seqlen: 32,
      clip: 1,
      weightDecay: 0,
      seed: 5,
      checkpointEvery: 3,
      engine,
    });
  const whole = await run('whole');
  const streamed = await run('streamed');
  assert.equal(whole.engine, 'whole');
  assert.equal(streamed.engine, 'streamed');
  whole.curve.forEach((p, i) => assert.ok(Math.abs(p.loss - streamed.curve[i].loss) <= 1e-5 * p.loss, `step ${p.step}: ${p.loss} vs ${streamed.curve[i].loss}`));
  const a = await (await SlicedModelSource.create(whole.out)).layer(1);
  const b = await (await SlicedModelSource.create(streamed.out)).layer(1);
  const [wa, wb] = [a, b].map((l) => (l.kind === 'sequential' ? l.attn.q.weight.data : l.block.attn.q.weight.data));
  let worst = 0;
  wa.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - wb[i]))));
  assert.ok(worst <= 1e-5, `merged q weights differ by up to ${worst}`);
});

test('recover with dropout 0.1 gives the same loss curve and merged weights on the streamed and the one-graph engine (same seeded masks), and not those of training without dropout (tiny-llama, 3 steps)', async () => {
  const model = join(dir, 'tiny-llama');
  const settings = { model, data: 'wikitext2', rank: 4, alpha: 8, steps: 3, lr: 1e-3, warmup: 0, decay: 'constant', batch: 1, accum: 2, seqlen: 32, clip: 1, weightDecay: 0, seed: 5, checkpointEvery: 3 } as const;
  const whole = await recoverModel(quietContext(), { ...settings, out: join(dir, 'rft-drop-whole'), dropout: 0.1, engine: 'whole' });
  const streamed = await recoverModel(quietContext(), { ...settings, out: join(dir, 'rft-drop-streamed'), dropout: 0.1, engine: 'streamed' });
  assert.equal(streamed.engine, 'streamed');
  whole.curve.forEach((p, i) => assert.ok(Math.abs(p.loss - streamed.curve[i].loss) <= 1e-5 * p.loss, `step ${p.step}: ${p.loss} vs ${streamed.curve[i].loss}`));
  const q = async (out: string) => {
    const l = await (await SlicedModelSource.create(out)).layer(1);
    return l.kind === 'sequential' ? l.attn.q.weight.data : l.block.attn.q.weight.data;
  };
  const [wa, wb, plain] = await Promise.all([q(whole.out), q(streamed.out), q(join(dir, 'rft-streamed'))]);
  let worst = 0;
  let fromPlain = 0;
  wa.forEach((v, i) => {
    worst = Math.max(worst, Math.abs(v - wb[i]));
    fromPlain = Math.max(fromPlain, Math.abs(wb[i] - plain[i]));
  });
  assert.ok(worst <= 1e-5, `merged q weights differ by up to ${worst}`);
  // The masks reached the streamed graphs: its adapters are not those of the same run without dropout.
  assert.ok(fromPlain > 1e-4, `streamed with and without dropout differ by only ${fromPlain}`);
  console.log(`dropout 0.1: losses ${whole.curve.map((p) => p.loss.toFixed(6)).join(' ')} vs ${streamed.curve.map((p) => p.loss.toFixed(6)).join(' ')}; merged q ≤ ${worst.toExponential(2)} apart; ${fromPlain.toExponential(2)} from no dropout`);
});
