// Which stopped slices the API offers to resume (core/api/resumability.ts), on a real service, store and
// slicing job: resuming repeats the settings, so only runs stopped by something outside them (cancel, a
// worker or app that died) with a checkpoint on disk qualify; a run that failed on its input does not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Store } from '../../core/store/store';
import { SLICE_PARAMS as params, sliceCancelledWhen, sliceService } from './slice-service';

const fixture = sliceService('ss-resumability-');

test('a slice that failed on an empty calibration file is not resumable, and resumeJob refuses it in one line', async () => {
  const { dir, service } = fixture;
  const empty = join(dir, 'empty.txt');
  writeFileSync(empty, '');
  const { jobId, runId } = await service.startJob({ kind: 'slice', params: { ...params, cal: empty, out: join(dir, 'bad') } });
  const end = await service.runner.wait(jobId);
  assert.equal(end.type, 'failed', JSON.stringify(end));
  const can = await service.resumability(runId);
  assert.equal(can.resumable, false);
  assert.equal(can.nextLayer, null);
  assert.match(can.reason, /failed on its input or settings, so resuming would fail the same way/);
  await assert.rejects(service.resumeJob(runId), { name: 'NotAvailableError', message: can.reason });
});

test('with a checkpoint on disk, a run cut off by a dying worker is resumable and one that failed on its input is not', async () => {
  const { dir, service } = fixture;
  // A real checkpoint: a slice cancelled inside its second layer.
  const first = await sliceCancelledWhen(service, { ...params, out: join(dir, 'cut') }, (e) => (e.layer ?? -1) >= 1);
  const end = first.end;
  assert.equal(end.type, 'cancelled');
  assert.ok(existsSync(join(dir, 'cut', '.checkpoint', 'state.json')));
  assert.equal((await service.resumability(first.runId)).resumable, true);

  // The same checkpoint beside two failed runs with the same settings.
  const store = Store.open(join(dir, 'store.db'));
  const runWith = (error: string, out: string) => {
    cpSync(join(dir, 'cut'), out, { recursive: true });
    const id = store.createRun({ kind: 'slice', name: error, status: 'running', settings: { ...params, out } }).id;
    store.failRun(id, error);
    return id;
  };
  const died = runWith('job worker exited unexpectedly (code 134)', join(dir, 'died'));
  const nan = runWith('layer 2 has non-finite weights (NaN) in model.layers.2.mlp.down_proj.weight', join(dir, 'nan'));
  store.close();
  const a = await service.resumability(died);
  assert.equal(a.resumable, true, a.reason);
  assert.match(a.reason, /continues from its checkpoint at layer \d/);
  const b = await service.resumability(nan);
  assert.equal(b.resumable, false);
  assert.match(b.reason, /failed on its input or settings/);
});

test('a cancelled slice that had not finished a layer has no checkpoint: slice again instead', async () => {
  const { dir, service } = fixture;
  let jobId = '';
  const off = service.events.subscribe((e) => {
    if (e.channel === 'job' && e.jobId === jobId && e.type === 'started') void service.cancelJob(jobId);
  });
  const first = await service.startJob({ kind: 'slice', params: { ...params, out: join(dir, 'early') } });
  jobId = first.jobId;
  await service.cancelJob(first.jobId);
  const end = await service.runner.wait(first.jobId);
  off();
  assert.equal(end.type, 'cancelled');
  const can = await service.resumability(first.runId);
  assert.equal(can.resumable, false);
  assert.match(can.reason, /no checkpoint: slice again/);
});
