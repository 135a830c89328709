// Issue #11: a slice that ran out of GPU memory is resumed from the Runs room with a lower --vram-gb. The
// budget is not in the checkpoint's key, so resumeJob takes `{ vramGb }` and continues from the checkpoint;
// resumability offers it (`lowerVram`, prefilled from the error line) only when the run's error asks for it.
// A real slice on tiny-llama is stopped after its first layer; its failure is recorded with the line the device
// engine's guard really throws for an allocation failure at an 8 GiB budget (no GPU here to exhaust).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { callApi } from '../../core/api/dispatch';
import { userMessage } from '../../core/base/user-error';
import { guarded } from '../../core/slicegpt/engine';
import { Store } from '../../core/store/store';
import type { SliceJobResult } from '../../core/jobs/kinds/slice';
import type { Resumability } from '../../core/api/contract';
import { SLICE_PARAMS, sliceCancelledWhen, sliceService } from './slice-service';

type Started = { jobId: string; runId: number };

const fixture = sliceService('ss-resume-vram-');

/** The DeviceMemoryError line of an allocation failure under a `gib` GiB activations budget. */
async function outOfMemoryLine(gib: number): Promise<string> {
  const e = await guarded(
    'attention',
    async () => {
      throw new Error('Failed to allocate a buffer of size 4294967296');
    },
    gib * 2 ** 30,
  ).catch((x: Error) => x);
  assert.ok(e instanceof Error && e.name === 'DeviceMemoryError');
  return e.message;
}

/** A slice stopped after its first layer (checkpoint on disk), recorded as failed with `error` when given. */
async function stoppedSlice(name: string, error?: string): Promise<number> {
  const { dir, service } = fixture;
  const first = await sliceCancelledWhen(service, { ...SLICE_PARAMS, vramGb: 8, out: join(dir, name) }, (e) => (e.layer ?? -1) >= 1);
  assert.equal(first.end.type, 'cancelled');
  if (error !== undefined) {
    const store = Store.open(join(dir, 'store.db'));
    store.failRun(first.runId, error);
    store.close();
  }
  return first.runId;
}

const refusal = async (p: Promise<unknown>): Promise<string> => {
  const e = await p.then(
    () => assert.fail('accepted'),
    (x: unknown) => x,
  );
  return userMessage(e).message;
};

test('a slice that ran out of GPU memory offers a lower --vram-gb (half the 8 GiB it used, as its error line says) and resumeJob continues from the checkpoint with it', async () => {
  const { service } = fixture;
  const line = await outOfMemoryLine(8);
  assert.match(line, /lower --vram-gb \(GiB of activations kept on the GPU, 8 now; try --vram-gb 4\)/);
  const id = await stoppedSlice('oom', line);

  const can = (await callApi(service, 'resumability', [id])) as Resumability;
  assert.equal(can.resumable, true, can.reason);
  assert.deepEqual(can.lowerVram, { current: 8, suggested: 4 });
  assert.match(can.reason, /continues from its checkpoint at layer \d+ \(with a lower --vram-gb: it ran out of GPU memory\)$/);

  const resumed = (await callApi(service, 'resumeJob', [id, { vramGb: 4 }])) as Started;
  const end = await service.runner.wait(resumed.jobId);
  assert.equal(end.type, 'done', JSON.stringify(end));
  const result = (end as { result: SliceJobResult }).result;
  assert.ok(result.resumedAt !== null && result.resumedAt >= 1, `resumed at ${result.resumedAt}`);
  const run = await service.getRun(resumed.runId);
  assert.equal(run.settings.vramGb, 4, 'the lower budget');
  assert.equal(run.settings.resume, true);
  assert.equal(run.settings.resumeOf, id);
  assert.equal(run.settings.ratio, SLICE_PARAMS.ratio, 'every other setting as stored');
});

test('a slice stopped without a GPU memory error offers no --vram-gb field, yet resumeJob without overrides continues as before', async () => {
  const { service } = fixture;
  const id = await stoppedSlice('plain');
  const can = (await callApi(service, 'resumability', [id])) as Resumability;
  assert.equal(can.resumable, true, can.reason);
  assert.equal(can.lowerVram, undefined);
  const resumed = (await callApi(service, 'resumeJob', [id])) as Started;
  assert.equal((await service.runner.wait(resumed.jobId)).type, 'done');
  assert.equal((await service.getRun(resumed.runId)).settings.vramGb, 8, 'the stored budget, unchanged');
});

test('resumeJob overrides: only vramGb, a number of GiB from 0, each refused in one line', async () => {
  const { service } = fixture;
  const id = await stoppedSlice('bad', await outOfMemoryLine(8));
  assert.equal(await refusal(callApi(service, 'resumeJob', [id, { vramGb: -1 }])), 'overrides.vramGb must be a number of GiB from 0 to 1048576 (got -1)');
  const batch = await refusal(callApi(service, 'resumeJob', [id, { batchSize: 2 }]));
  assert.match(batch, /has an unknown field "batchSize"$/);
  assert.ok(!batch.includes('\n'));
  assert.match(await refusal(callApi(service, 'resumeJob', [id, { vramGb: 'four' }])), /vramGb must be a finite number \(got "four"\)$/);
  assert.equal(((await callApi(service, 'resumability', [id])) as Resumability).resumable, true, 'nothing was started');
});
