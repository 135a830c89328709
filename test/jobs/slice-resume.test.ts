import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { JobEvent } from '../../core/jobs/events';
import type { SliceJobResult } from '../../core/jobs/kinds/slice';
import { safetensorsOf as safetensors, SLICE_PARAMS as params, sliceCancelledWhen, sliceService } from '../api/slice-service';

const fixture = sliceService('ss-resume-');

async function finish(jobId: string) {
  return fixture.service.runner.wait(jobId);
}

test('a slice job cancelled mid-way and resumed with resumeJob writes the same tensors as an uninterrupted run', async () => {
  const { dir, service } = fixture;
  const ref = await service.startJob({ kind: 'slice', params: { ...params, out: join(dir, 'ref') } });
  const refEnd = await finish(ref.jobId);
  assert.equal(refEnd.type, 'done', JSON.stringify(refEnd));
  const refResult = (refEnd as Extract<JobEvent, { type: 'done' }>).result as SliceJobResult;

  // Cancel once the job is inside the third layer: two layers are checkpointed by then.
  const first = await sliceCancelledWhen(service, params, (e) => (e.layer ?? -1) >= 2);
  const firstEnd = first.end;
  assert.equal(firstEnd.type, 'cancelled');
  const interrupted = await service.getRun(first.runId);
  assert.equal(interrupted.status, 'cancelled');
  // The default output folder names the run, and the checkpoint survives the cancel.
  const out = join(dir, 'slices', `tiny-llama-0.25-${first.runId}`);
  assert.equal(interrupted.settings.out, out);
  assert.ok(existsSync(join(out, '.checkpoint', 'state.json')), 'no checkpoint after cancel');
  const can = await service.resumability(first.runId);
  assert.equal(can.resumable, true, can.reason);
  assert.ok(can.nextLayer !== null && can.nextLayer >= 2, `the checkpoint is at layer ${can.nextLayer}`);

  const resumed = await service.resumeJob(first.runId);
  assert.notEqual(resumed.runId, first.runId);
  const end = await finish(resumed.jobId);
  assert.equal(end.type, 'done', JSON.stringify(end));
  const result = (end as Extract<JobEvent, { type: 'done' }>).result as SliceJobResult;
  assert.ok(result.resumedAt !== null && result.resumedAt >= 2, `resumed at ${result.resumedAt}`);
  assert.equal(result.out, out);

  const a = safetensors(refResult.out);
  const b = safetensors(out);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs`);

  // Both runs are recorded with the same artifact digest, per-layer stats and settings.
  const [r1, r2] = await service.compareRuns([ref.runId, resumed.runId]);
  assert.equal(r2.status, 'done');
  assert.equal(r2.settings.resumeOf, first.runId);
  assert.equal(r2.settings.resume, true);
  assert.equal(r2.artifacts[0].sha256, r1.artifacts[0].sha256);
  assert.equal(r2.artifacts[0].path, out);
  assert.equal(r2.layers.length, r1.layers.length);
  // 4 layers × (attention + mlp) signals + the embedding (layer −1); timed phases: 4 layers × (load, signals,
  // pca, rotate) + the embedding's 3 (it has no load phase).
  assert.equal(r1.layers.filter((l) => l.keptVariance !== null).length, 9);
  assert.equal(r1.layers.filter((l) => l.seconds !== null).length, 19);
  assert.equal(r1.layers[0].layer, -1);
  const mlp3 = r2.layers.find((l) => l.layer === 3 && l.phase === 'mlp')!;
  assert.equal(mlp3.eigenvalues!.length, 64);
  assert.deepEqual(mlp3.dims, { kept: 256, width: 256, tokens: 16 * 128 });
  assert.deepEqual(r2.layers.find((l) => l.layer === 1 && l.phase === 'attention')!.dims, { kept: 192, width: 256, tokens: 16 * 128 });
  assert.deepEqual(
    r2.metrics.filter((m) => m.name === 'd' || m.name === 'dense_params').map((m) => [m.name, m.value]),
    [
      ['d', 192],
      ['dense_params', 5_048_576],
    ],
  );
  assert.ok(r2.modelId !== null && r2.modelId === r1.modelId, 'runs are linked to the dense model');
  assert.ok(r2.peakRss! > 0 && r2.ep === 'cpu');

  // Only unfinished slice runs can be resumed.
  await assert.rejects(service.resumeJob(ref.runId), { name: 'NotAvailableError', message: `run ${ref.runId} finished: there is nothing to resume` });
  await assert.rejects(service.resumeJob(9999), { name: 'RunNotFoundError' });
});
