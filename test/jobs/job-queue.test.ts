import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobRunner } from '../../core/jobs/runner';
import { storeRecorder } from '../../core/jobs/store-recorder';
import { Store } from '../../core/store/store';
import type { JobEvent } from '../../core/jobs/events';

const fixture = pathToFileURL(join(import.meta.dirname, 'fixtures/wait-job.ts')).href;
let dir: string;
let store: Store;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'ss-queue-'));
  store = Store.open(join(dir, 'store.db'));
});

after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('heavy jobs run one at a time per device: the rest are queued (run status queued), then start in order', async () => {
  const runner = await JobRunner.create({ recorder: storeRecorder(store), modules: [fixture], graceMs: 20_000 });
  const events: JobEvent[] = [];
  runner.subscribe((e) => events.push(e));
  const jobs = [0, 1, 2].map(() => runner.start({ kind: 'wait-heavy', params: { ms: 300 } }));
  assert.deepEqual(
    runner.list().map((j) => j.status),
    ['running', 'queued', 'queued'],
  );
  assert.deepEqual(
    jobs.map((j) => store.getRun(j.runId)!.status),
    ['running', 'queued', 'queued'],
  );
  assert.equal(runner.list()[1].startedAt, null);
  for (const j of jobs) assert.equal((await runner.wait(j.jobId)).type, 'done');
  // queued → started for each, and no job started before the previous one ended.
  const order = events.filter((e) => e.type === 'queued' || e.type === 'started' || e.type === 'done').map((e) => `${e.type}:${jobs.findIndex((j) => j.jobId === e.jobId)}`);
  assert.deepEqual(order, ['queued:0', 'started:0', 'queued:1', 'queued:2', 'done:0', 'started:1', 'done:1', 'started:2', 'done:2']);
  for (const j of jobs) assert.equal(store.getRun(j.runId)!.status, 'done');
  await runner.close();
});

test('a queued job is cancelled at once, never starts, and its run is recorded cancelled', async () => {
  const runner = await JobRunner.create({ recorder: storeRecorder(store), modules: [fixture], graceMs: 20_000 });
  const events: JobEvent[] = [];
  runner.subscribe((e) => events.push(e));
  const first = runner.start({ kind: 'wait-heavy', params: { ms: 400 } });
  const second = runner.start({ kind: 'wait-heavy', params: { ms: 400 } });
  assert.equal(runner.cancel(second.jobId), true);
  const end = await runner.wait(second.jobId).catch(() => null);
  assert.equal(end, null, 'a cancelled queued job is gone from the runner at once');
  assert.equal(store.getRun(second.runId)!.status, 'cancelled');
  assert.ok(!events.some((e) => e.jobId === second.jobId && e.type === 'started'));
  assert.ok(events.some((e) => e.jobId === second.jobId && e.type === 'cancelled'));
  assert.deepEqual(
    runner.list().map((j) => j.jobId),
    [first.jobId],
  );
  assert.equal((await runner.wait(first.jobId)).type, 'done');
  await runner.close();
});

test('a burst of start calls never runs more jobs at once than the limits allow; light jobs run alongside a heavy one', async () => {
  const runner = await JobRunner.create({ recorder: storeRecorder(store), modules: [fixture], graceMs: 20_000, concurrency: { light: 2 } });
  const live = new Set<string>();
  let peakLight = 0;
  let lightBesideHeavy = false;
  const heavyIds = new Set<string>();
  runner.subscribe((e) => {
    if (e.type === 'started') {
      live.add(e.jobId);
      const light = [...live].filter((id) => !heavyIds.has(id)).length;
      peakLight = Math.max(peakLight, light);
      if (!heavyIds.has(e.jobId) && [...live].some((id) => heavyIds.has(id))) lightBesideHeavy = true;
    }
    if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') live.delete(e.jobId);
  });
  const heavy = runner.start({ kind: 'wait-heavy', params: { ms: 2000 } });
  heavyIds.add(heavy.jobId);
  const light = Array.from({ length: 11 }, () => runner.start({ kind: 'wait-light', params: { ms: 20 } }));
  assert.equal(runner.list().filter((j) => j.status === 'running').length, 3, 'one heavy + two light');
  assert.equal(runner.list().filter((j) => j.status === 'queued').length, 9);
  const ends = await Promise.all([heavy, ...light].map((j) => runner.wait(j.jobId)));
  assert.ok(ends.every((e) => e.type === 'done'));
  assert.equal(peakLight, 2);
  assert.ok(lightBesideHeavy, 'light jobs ran while the heavy one did');
  await runner.close();
});
