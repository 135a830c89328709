// planModel and compareRuns through the API's own dispatch (validation included), on a real service and store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callApi } from '../../core/api/dispatch';
import type { ComparedRun, PlanModelResult } from '../../core/api/contract';
import { Store } from '../../core/store/store';
import { GiB } from '../../core/plan/index';
import { sharedData, sharedModel } from '../shared';
import { sliceService } from './slice-service';

const configs = sharedData('configs');
const tinyLlama = sharedModel('tiny-llama');
const env = sliceService('ss-api-plan-');

const call = <T>(method: string, ...args: unknown[]) => callApi(env.service, method, args) as Promise<T>;

test('planModel on a bare config.json: LLaMA-2-70B in 4-bit on two 16 GB GPUs, plus the live estimate at 25%', async () => {
  const r = await call<PlanModelResult>('planModel', join(configs, 'llama-2-70b-hf.json'), { gpus: [16, 16], format: 'q4', ctx: 4096, ratio: 0.25 });
  assert.deepEqual([r.plan.fits, r.plan.ratio, r.plan.d], [true, 0.31, 5632]);
  assert.deepEqual(
    r.hardware.gpus.map((g) => [g.freeBytes, g.totalBytes]),
    [
      [16 * GiB, 16 * GiB],
      [16 * GiB, 16 * GiB],
    ],
  );
  assert.ok(r.estimate);
  assert.equal(r.estimate.ratio, 0.25);
  assert.equal(r.estimate.d, 6144); // floor(0.75 · 8192) = 6144, already a multiple of 32
  assert.equal(r.estimate.fits, false);
  // Without a ratio there is no estimate; the same plan on two 24 GB cards needs no slicing at all.
  const roomy = await call<PlanModelResult>('planModel', join(configs, 'llama-2-70b-hf.json'), { gpus: [24, 24], format: 'q4', ctx: 4096 });
  assert.equal(roomy.estimate, null);
  assert.equal(roomy.plan.ratio, 0);
});

test("planModel counts a 16-bit model's slice at 2 bytes per weight on disk (a slice keeps its source dtype), a float32 one at 4", async () => {
  const r = await call<PlanModelResult>('planModel', join(configs, 'llama-2-7b-hf.json'), { gpus: [80], ratio: 0.25 });
  assert.equal(r.slicing.disk.outputBytes, 5_704_777_728 * 2);
  const f32Config = join(env.dir, 'llama-2-7b-f32.json');
  writeFileSync(f32Config, JSON.stringify({ ...JSON.parse(readFileSync(join(configs, 'llama-2-7b-hf.json'), 'utf8')), torch_dtype: 'float32' }));
  const f32 = await call<PlanModelResult>('planModel', f32Config, { gpus: [80], ratio: 0.25 });
  assert.equal(f32.slicing.disk.outputBytes, 5_704_777_728 * 4);
});

test('planModel with gpus "auto" plans for the detected machine (the CPU and its free RAM when there is no GPU)', async () => {
  const hw = await env.service.getHardware();
  const r = await call<PlanModelResult>('planModel', tinyLlama, { gpus: 'auto', ratio: 0.25 });
  assert.equal(r.hardware.gpus.length, hw.gpus.length);
  assert.equal(r.hardware.ramFreeBytes, hw.ram.freeBytes);
  for (const [i, g] of hw.gpus.entries()) assert.equal(r.hardware.gpus[i].totalBytes, g.totalBytes);
  assert.equal(r.plan.fits, true); // 5M parameters fit anything
  assert.equal(r.estimate!.d, 192);
  const cpu = await call<PlanModelResult>('planModel', tinyLlama, { gpus: [] });
  assert.deepEqual(cpu.hardware.gpus, []);
  assert.equal(cpu.plan.estimate.devices[0].kind, 'cpu');
});

test('planModel refuses bad options and missing files in one line', async () => {
  await assert.rejects(call('planModel', tinyLlama, { gpus: 'many' }), { name: 'PayloadError', message: /^planModel: "opts"\.gpus must be "auto" or a list of GPU sizes in GB/ });
  await assert.rejects(call('planModel', tinyLlama, { gpus: [0] }), { name: 'PayloadError', message: /GPU size in GB/ });
  await assert.rejects(call('planModel', tinyLlama, { ratio: 1.5 }), { name: 'PayloadError', message: /ratio must be in \[0, 1\)/ });
  await assert.rejects(call('planModel', tinyLlama, { colour: 'red' }), { name: 'PayloadError', message: /unknown field "colour"/ });
  await assert.rejects(call('planModel', join(env.dir, 'nothing.json')), { name: 'PlanInputError', message: /nothing\.json is not a model folder or config\.json Slice Studio can open$/ });
});

test("compareRuns returns each run in full with its parent's key metrics, in the order asked", async () => {
  const store = Store.open(join(env.dir, 'store.db'));
  let dense: number, slice: number, sliced: number;
  try {
    dense = store.createRun({ kind: 'eval', name: 'dense', status: 'done', settings: { model: '/m' } }).id;
    store.addMetrics(dense, [
      { name: 'ppl', value: 180 },
      { name: 'acc_norm', value: 0.52, task: 'piqa', stderr: 0.01 },
    ]);
    slice = store.createRun({ kind: 'slice', name: 'slice 25%', status: 'done', parentRunId: dense, settings: { model: '/m', ratio: 0.25, out: '/s' } }).id;
    store.addMetrics(slice, [{ name: 'd', value: 192 }]);
    store.addLayerStat(slice, { layer: 0, phase: 'attention', keptVariance: 0.98, eigenvalues: [3, 2, 1], dims: { kept: 192, width: 256, tokens: 100 } });
    store.addArtifact(slice, { path: '/s', kind: 'sliced-model', format: 'safetensors', bytes: 10, sha256: 'ab' });
    store.addPhase(slice, 'pca', 1.5);
    sliced = store.createRun({ kind: 'eval', name: 'sliced', status: 'done', parentRunId: slice, settings: { model: '/s' } }).id;
    store.addMetrics(sliced, [{ name: 'ppl', value: 209 }]);
  } finally {
    store.close();
  }
  const runs = await call<ComparedRun[]>('compareRuns', [sliced, slice, dense]);
  assert.deepEqual(
    runs.map((r) => r.id),
    [sliced, slice, dense],
  );
  assert.equal(runs[0].parent!.id, slice);
  assert.deepEqual(
    runs[0].parent!.metrics.map((m) => [m.name, m.value]),
    [['d', 192]],
  );
  assert.equal(runs[1].parent!.kind, 'eval');
  assert.deepEqual(
    runs[1].parent!.metrics.map((m) => [m.name, m.task, m.value]),
    [
      ['ppl', null, 180],
      ['acc_norm', 'piqa', 0.52],
    ],
  );
  assert.equal(runs[2].parent, null);
  assert.deepEqual(
    runs[1].layers.map((l) => [l.phase, l.keptVariance, l.eigenvalues, l.dims]),
    [['attention', 0.98, [3, 2, 1], { kept: 192, width: 256, tokens: 100 }]],
  );
  assert.equal(runs[1].artifacts[0].sha256, 'ab');
  assert.deepEqual(
    runs[1].phases.map((p) => [p.phase, p.seconds]),
    [['pca', 1.5]],
  );
  assert.equal(runs[1].settings.ratio, 0.25);
  await assert.rejects(call('compareRuns', []), { name: 'PayloadError', message: /at least one run id/ });
  await assert.rejects(call('compareRuns', [dense, 4242]), { name: 'RunNotFoundError', message: 'no run with id 4242' });
});

test('resumeJob refuses runs that are not unfinished slices', async () => {
  const store = Store.open(join(env.dir, 'store.db'));
  const ppl = store.createRun({ kind: 'ppl', name: 'p', status: 'cancelled' }).id;
  const live = store.createRun({ kind: 'slice', name: 's', status: 'queued', settings: { model: tinyLlama, out: join(env.dir, 'x') } }).id;
  store.close();
  await assert.rejects(call('resumeJob', ppl), { name: 'NotAvailableError', message: `run ${ppl} is a ppl run: only slice and recovery runs can be resumed` });
  await assert.rejects(call('resumeJob', live), { name: 'NotAvailableError', message: `run ${live} is still queued in process ${process.pid}` });
});
