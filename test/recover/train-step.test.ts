// One training step of the ONNX engine against the float64 reference written for the test
// (reference-step.ts): loss, gradients (central differences of the reference forward, step 1e-5) and the
// AdamW update, on tiny-llama sliced at 25 %, with non-zero B so every adapter's A and B get gradients,
// and padded positions that must score nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { SlicedModelSource, tensorNames } from '../../core/slicegpt/sliced-source';
import ort from 'onnxruntime-node';
import { adapterInput, buildTrainGraph, gradName, loadModelWeights, type ModelWeights } from '../../core/recover/train-graph';
import { initAdapters, type LoraAdapter } from '../../core/recover/lora';
import { TrainStep } from '../../core/recover/step';
import { adamwState, adamwStep } from '../../core/recover/adamw';
import { withBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import { quietContext } from '../../core/base/job-context';
import { mulberry32 } from '../../core/data/prng';
import type { MicroBatch } from '../../core/recover/data';
import { sharedModel } from '../shared';
import { referenceAdamWFirstStep, referenceLoss, type RefAdapter } from './reference-step';

const B = 2;
const S = 8;
const SCALE = 2; // α / r = 8 / 4
let dir: string;
let m: ModelWeights;
let src: SlicedModelSource;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rft-step-'));
  await sliceModel(quietContext(), { model: sharedModel('tiny-llama'), ratio: 0.25, cal: 'wikitext2', nsamples: 8, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out: join(dir, 's'), ep: 'cpu', resume: false, dtype: 'float32' });
  src = await SlicedModelSource.create(join(dir, 's'));
  m = await loadModelWeights(src);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function batch(): { mb: MicroBatch; seqs: { ids: Int32Array; targets: Int32Array }[] } {
  const rng = mulberry32(7);
  const seqs = Array.from({ length: B }, () => {
    const ids = Int32Array.from({ length: S }, () => 3 + Math.floor(rng() * 4000));
    const targets = new Int32Array(S);
    targets.set(ids.subarray(1));
    targets[S - 1] = -1;
    return { ids, targets };
  });
  seqs[1].targets.fill(-1, S - 3); // right padding: the last positions score nothing
  const count = seqs.reduce((s, q) => s + q.targets.filter((t) => t >= 0).length, 0);
  const mb: MicroBatch = { ids: new Int32Array(B * S), targets: new Int32Array(B * S), weights: new Float32Array(B * S), tokens: count };
  seqs.forEach((q, b) => {
    mb.ids.set(q.ids, b * S);
    q.targets.forEach((t, i) => {
      if (t >= 0) [mb.targets[b * S + i], mb.weights[b * S + i]] = [t, 1 / count];
    });
  });
  return { mb, seqs };
}

function adapters(): LoraAdapter[] {
  const a = initAdapters(m.layers, { rank: 4, alpha: 8 }, tensorNames(m.config), 3);
  const rng = mulberry32(11);
  for (const x of a) for (let i = 0; i < x.B.length; i++) x.B[i] = (rng() * 2 - 1) * 0.05;
  return a;
}

async function float64Gradients(a: LoraAdapter[], mb: MicroBatch): Promise<{ A: Float64Array; B: Float64Array }[]> {
  const session = await ort.InferenceSession.create(buildTrainGraph(m, a, { batch: B, seq: S, scale: SCALE, dtype: 'float64' }));
  const feeds: Record<string, ort.Tensor> = {
    ids: new ort.Tensor('int32', mb.ids, [B, S]),
    targets: new ort.Tensor('int32', mb.targets, [B * S]),
    weights: new ort.Tensor(
      'float64',
      Float64Array.from(mb.weights, (w) => (w ? 1 / mb.tokens : 0)),
      [B * S],
    ),
  };
  for (const x of a) {
    feeds[adapterInput(x, 'A')] = new ort.Tensor('float64', Float64Array.from(x.A), [x.A.length / x.inF, x.inF]);
    feeds[adapterInput(x, 'B')] = new ort.Tensor('float64', Float64Array.from(x.B), [x.outF, x.B.length / x.outF]);
  }
  const out = await session.run(feeds);
  await session.release();
  return a.map((x) => ({ A: out[gradName(x, 'A')].data as Float64Array, B: out[gradName(x, 'B')].data as Float64Array }));
}

/** The runtime's (inference path's) mean next-token NLL over the batch's target tokens: what the training loss must equal. */
async function runtimeNll(src: Parameters<typeof forward>[0], seqs: { ids: Int32Array; targets: Int32Array }[]): Promise<{ mean: number; tokens: number }> {
  const out = await withBlockRunner(src.arch, { ep: 'cpu' }, (runner) =>
    forward(
      src,
      runner,
      seqs.map((q) => q.ids),
      { targets: seqs.map((q) => q.targets) },
    ),
  );
  const nll = [...out.nll!].filter((v) => !Number.isNaN(v));
  return { mean: nll.reduce((t, v) => t + v, 0) / nll.length, tokens: nll.length };
}

const toRef = (a: LoraAdapter[]): RefAdapter[] => a.map((x) => ({ layer: x.layer, role: x.role, inF: x.inF, outF: x.outF, r: x.A.length / x.inF, A: Float64Array.from(x.A), B: Float64Array.from(x.B) }));

test("the training graph's loss with B = 0 is the runtime's mean next-token NLL on the same windows", async () => {
  const a = initAdapters(m.layers, { rank: 4, alpha: 8 }, tensorNames(m.config), 3);
  const { mb, seqs } = batch();
  const step = await TrainStep.create(m, a, { batch: B, seq: S, scale: SCALE });
  const { loss } = await step.run(mb, a);
  await step.dispose();
  const { mean, tokens } = await runtimeNll(src, seqs);
  assert.equal(tokens, mb.tokens);
  assert.ok(Math.abs(loss - mean) / mean < 1e-6, `graph ${loss} vs runtime ${mean}`);
});

test('one AdamW step on tiny-llama sliced 25 %: loss, gradients (per coordinate, and along a direction: float32 1e-4, float64 graph 1e-7) and updated adapters equal the float64 reference to 1e-5', async () => {
  const a = adapters();
  const { mb, seqs } = batch();
  const step = await TrainStep.create(m, a, { batch: B, seq: S, scale: SCALE });
  const r = await step.run(mb, a);
  await step.dispose();
  const ref = toRef(a);
  const L = (rf: RefAdapter[]) => referenceLoss(m, rf, SCALE, seqs);
  const loss64 = L(ref);
  assert.ok(Math.abs(r.loss - loss64) / loss64 <= 1e-5, `loss ${r.loss} vs reference ${loss64}`);

  // Central differences of the reference at coordinates spread over layers, roles, A and B.
  const h = 1e-5;
  const picks: { k: number; which: 'A' | 'B'; i: number }[] = [];
  const rng = mulberry32(5);
  for (const k of [0, 4, 9, 13, 17, 20, 22, 27]) for (const which of ['A', 'B'] as const) picks.push({ k, which, i: Math.floor(rng() * a[k][which].length) });
  const fd = picks.map(({ k, which, i }) => {
    const t = ref[k][which];
    const keep = t[i];
    t[i] = keep + h;
    const lp = L(ref);
    t[i] = keep - h;
    const lm = L(ref);
    t[i] = keep;
    return (lp - lm) / (2 * h);
  });
  const ours = picks.map(({ k, which, i }) => r.grads[k][which][i]);
  const scale = Math.max(...fd.map(Math.abs));
  assert.ok(scale > 0);
  fd.forEach((g, n) => assert.ok(Math.abs(ours[n] - g) <= 1e-5 * scale, `d loss / d ${a[picks[n].k].key}.${picks[n].which}[${picks[n].i}]: ${ours[n]} vs reference ${g} (‖g‖∞ ${scale})`));

  // The whole gradient along a random direction: (L(θ + h·u) − L(θ − h·u)) / 2h = Σ g·u.
  const u = toRef(a).map((x) => ({ A: x.A.map(() => rng() * 2 - 1), B: x.B.map(() => rng() * 2 - 1) }));
  const shifted = (sgn: number) => toRef(a).map((x, k) => ({ ...x, A: x.A.map((v, i) => v + sgn * h * u[k].A[i]), B: x.B.map((v, i) => v + sgn * h * u[k].B[i]) }));
  const dirFd = (L(shifted(1)) - L(shifted(-1))) / (2 * h);
  let dirOurs = 0;
  r.grads.forEach((g, k) => {
    g.A.forEach((v, i) => (dirOurs += v * u[k].A[i]));
    g.B.forEach((v, i) => (dirOurs += v * u[k].B[i]));
  });
  // Summed over all 135,680 float32 gradients, the float32 engine's rounding reaches a few 1e-5: 1e-4 here,
  // and the same graph built in float64 must agree to 1e-7 (so the backward itself is exact).
  assert.ok(Math.abs(dirOurs - dirFd) <= 1e-4 * Math.abs(dirFd), `directional derivative ${dirOurs} vs reference ${dirFd}`);
  const g64 = await float64Gradients(a, mb);
  let dir64 = 0;
  g64.forEach((g, k) => {
    g.A.forEach((v, i) => (dir64 += v * u[k].A[i]));
    g.B.forEach((v, i) => (dir64 += v * u[k].B[i]));
  });
  assert.ok(Math.abs(dir64 - dirFd) <= 1e-7 * Math.abs(dirFd), `float64 graph: directional derivative ${dir64} vs reference ${dirFd}`);

  // The update: the engine's AdamW on its gradients against torch's formula on the reference gradients.
  const lr = 1e-3;
  const wd = 0.01;
  const params = a.flatMap((x) => [x.A, x.B]);
  const before = params.map((p) => Float32Array.from(p));
  adamwStep(
    params,
    r.grads.flatMap((g) => [g.A, g.B]),
    adamwState(params),
    lr,
    { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd },
  );
  picks.forEach(({ k, which, i }, n) => {
    if (Math.abs(fd[n]) < 1e-3 * scale) return; // Adam's first step is g/|g|: meaningless to compare where g ≈ 0
    const p0 = before[2 * k + (which === 'A' ? 0 : 1)][i];
    const want = referenceAdamWFirstStep(p0, fd[n], lr, wd);
    const got = a[k][which][i];
    assert.ok(Math.abs(got - want) <= 1e-5 * lr + 1e-7 * Math.abs(want), `${a[k].key}.${which}[${i}] after the step: ${got} vs reference ${want}`);
  });
});

test("the training graph's loss equals the runtime's NLL for OPT (learned positions, biases, ReLU) and Phi (parallel block, partial rotary, GELU) slices too", async () => {
  for (const name of ['tiny-opt', 'tiny-phi']) {
    const out = join(dir, name);
    await sliceModel(quietContext(), { model: sharedModel(name), ratio: 0.25, cal: 'wikitext2', nsamples: 8, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, dtype: 'float32' });
    const s = await SlicedModelSource.create(out);
    const w = await loadModelWeights(s);
    const a = initAdapters(w.layers, { rank: 4, alpha: 8 }, tensorNames(w.config), 3);
    const { mb, seqs } = batch();
    const step = await TrainStep.create(w, a, { batch: B, seq: S, scale: SCALE });
    const { loss, grads } = await step.run(mb, a);
    await step.dispose();
    const { mean } = await runtimeNll(s, seqs);
    assert.ok(Math.abs(loss - mean) / mean < 1e-6, `${name}: graph ${loss} vs runtime ${mean}`);
    assert.ok(
      grads.some((g) => g.B.some((v) => v !== 0)),
      `${name}: no gradient reached B`,
    );
  }
});
