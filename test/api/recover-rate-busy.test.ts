// recoverRate times training on this machine's cores, so a job running beside it would be timed too: the API
// does not measure while a run is queued or running, and throws away a measurement during which a run was
// started; it answers `{ notMeasured }` with one line naming the run (not an error: the wizard keeps the table's
// estimate, shows the line and asks again later), and nothing is stored with the hardware snapshot. Real service, store, slice job and probe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { callApi } from '../../core/api/dispatch';
import { Store } from '../../core/store/store';
import { SLICE_PARAMS, sliceService } from './slice-service';

const fixture = sliceService('ss-rate-busy-');

const storedRate = (dir: string): unknown => {
  const s = Store.open(join(dir, 'store.db'));
  try {
    return (s.latestHardware() as { trainRate?: unknown } | null)?.trainRate;
  } finally {
    s.close();
  }
};

/** Cancels job `jobId` if it is still going (a tiny slice may end first), and waits for its end. */
const stop = async (jobId: string): Promise<void> => {
  if (!fixture.service.runner.list().some((j) => j.jobId === jobId)) return;
  const ended = fixture.service.runner.wait(jobId);
  await fixture.service.cancelJob(jobId).catch(() => undefined);
  await ended;
};

/** The line recoverRate answers with when it did not measure (`{ notMeasured }`: an answer, not an error). */
const notMeasured = async (p: Promise<unknown>): Promise<string> => {
  const r = (await p) as { notMeasured?: string; tokensPerSecond?: unknown };
  assert.equal(r.tokensPerSecond, undefined, 'measured');
  assert.equal(typeof r.notMeasured, 'string');
  assert.ok(!r.notMeasured!.includes('\n'));
  return r.notMeasured!;
};

test('recoverRate does not measure while a slice job runs: it answers why, naming the run, and stores nothing', async () => {
  const { dir, service } = fixture;
  await service.getHardware();
  const started = await service.startJob({ kind: 'slice', params: { ...SLICE_PARAMS, out: join(dir, 'busy') } });
  try {
    const line = await notMeasured(callApi(service, 'recoverRate', []));
    assert.equal(line, `the training rate is not measured while run ${started.runId} (slice) is ${line.includes(' is queued:') ? 'queued' : 'running'}: it would share the cores; the estimate uses the table until the run ends`);
    assert.equal(storedRate(dir), undefined);
  } finally {
    await stop(started.jobId);
  }
});

test('a measurement during which a job was started is not kept: recoverRate answers why, naming that run, and stores nothing', async () => {
  const { dir, service } = fixture;
  await service.getHardware();
  const measuring = notMeasured(callApi(service, 'recoverRate', []));
  // The probe takes seconds (onnxruntime, two graph builds and six timed runs): start a slice inside it.
  await new Promise((r) => setTimeout(r, 1000));
  const started = await service.startJob({ kind: 'slice', params: { ...SLICE_PARAMS, out: join(dir, 'during') } });
  try {
    const line = await measuring;
    assert.equal(line, `run ${started.runId} (slice) started while the training rate was measured, so the measurement shared the cores with it and was not kept; the estimate uses the table until it is measured again`);
    assert.equal(storedRate(dir), undefined);
  } finally {
    await stop(started.jobId);
  }
});
