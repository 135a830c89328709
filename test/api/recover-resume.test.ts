// Resuming a stopped recovery through the API's resumeJob (what the Runs room's Resume and the wizard's
// Recover step both call), on a real service, store, slice and training job: offered once a checkpoint is
// on disk, continued from it in the same folder as a new run linked to the stopped one and to its slice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Store } from '../../core/store/store';
import { SLICE_PARAMS, sliceService } from './slice-service';

const fixture = sliceService('ss-recover-resume-');

test('a recovery cancelled after a few checkpointed steps is resumable from its latest checkpoint; resumeJob finishes it as a linked run', async () => {
  const { dir, service } = fixture;
  const slice = await service.startJob({ kind: 'slice', params: { ...SLICE_PARAMS, nsamples: 4, seqlen: 64, out: join(dir, 'sliced') } });
  assert.equal((await service.runner.wait(slice.jobId)).type, 'done');

  const params = { model: join(dir, 'sliced'), data: 'wikitext2', out: join(dir, 'recovered'), rank: 4, steps: 8, seqlen: 32, batch: 1, lr: 1e-3, warmup: 0, checkpointEvery: 1 };
  let jobId = '';
  let cancelled = false;
  const off = service.events.subscribe((e) => {
    if (e.channel === 'job' && e.jobId === jobId && e.type === 'progress' && !cancelled && typeof e.data?.['step'] === 'number' && e.data['step'] >= 3) {
      cancelled = true;
      void service.cancelJob(jobId);
    }
  });
  const first = await service.startJob({ kind: 'recover', params });
  jobId = first.jobId;
  const end = await service.runner.wait(first.jobId);
  off();
  assert.equal(end.type, 'cancelled', JSON.stringify(end));

  const can = await service.resumability(first.runId);
  assert.equal(can.resumable, true, can.reason);
  assert.match(can.reason, /continues from its checkpoint at step [3-8]$/);

  const resumed = await service.resumeJob(first.runId);
  assert.equal((await service.runner.wait(resumed.jobId)).type, 'done');
  const store = Store.open(join(dir, 'store.db'));
  const run = store.getRun(resumed.runId)!;
  const stopped = store.getRun(first.runId)!;
  store.close();
  assert.equal(run.settings.job, 'recover');
  assert.equal(run.settings.resumeOf, first.runId);
  assert.equal(run.settings.out, params.out, 'the same output folder, where the checkpoint is');
  assert.equal(run.parentRunId, stopped.parentRunId, 'still under the slice it trains');
  assert.ok((run.result as { resumedFrom: number }).resumedFrom >= 3);
  assert.equal((run.result as { steps: number }).steps, 8);
  // A finished recovery has nothing to resume.
  assert.match((await service.resumability(resumed.runId)).reason, /finished: there is nothing to resume/);
});
