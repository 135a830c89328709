import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, truncateSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobRunner } from '../../core/jobs/runner';
import { storeRecorder } from '../../core/jobs/store-recorder';
import { Store } from '../../core/store/store';
import { PayloadError } from '../../core/base/validate';
import { UnknownJobError } from '../../core/jobs/registry';
import type { JobEvent } from '../../core/jobs/events';
import type { Fingerprint } from '../../core/base/folder-hash';
import { sharedModel } from '../shared';

const model = sharedModel('tiny-llama');
let dir: string;
let store: Store;
let runner: JobRunner;
const events: JobEvent[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-jobs-'));
  store = Store.open(join(dir, 'store.db'));
  runner = await JobRunner.create({
    recorder: storeRecorder(store),
    // Generous: on two busy cores a worker can take longer than a short grace period just to boot.
    graceMs: 20_000,
  });
  runner.subscribe((e) => events.push(e));
});

after(async () => {
  await runner.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('fingerprint job reports progress and returns the sha256 of every file, recorded as a done run', async () => {
  const { jobId, runId } = runner.start({ kind: 'fingerprint', params: { path: model } });
  const end = await runner.wait(jobId);
  assert.equal(end.type, 'done');
  const result = (end as Extract<JobEvent, { type: 'done' }>).result as Fingerprint;
  const names = readdirSync(model).sort();
  assert.deepEqual(
    result.files.map((f) => f.name),
    names,
  );
  for (const f of result.files) {
    assert.equal(
      f.sha256,
      createHash('sha256')
        .update(readFileSync(join(model, f.name)))
        .digest('hex'),
    );
  }
  assert.equal(result.bytes, 10_409_986);
  const mine = events.filter((e) => e.jobId === jobId);
  assert.deepEqual(
    mine.slice(0, 2).map((e) => e.type),
    ['queued', 'started'],
  );
  const progress = mine.filter((e) => e.type === 'progress');
  assert.ok(progress.length >= 1);
  for (const p of progress) assert.equal(p.runId, runId);
  assert.equal(progress.at(-1)!.type === 'progress' && progress.at(-1)!.fraction, 1);
  const run = store.getRun(runId)!;
  assert.equal(run.status, 'done');
  assert.equal(run.kind, 'fingerprint');
  assert.equal((run.result as Fingerprint).digest, result.digest);
  assert.ok(run.startedAt && run.finishedAt);
  assert.deepEqual(
    run.phases.map((p) => p.phase),
    ['hash'],
  );
  assert.equal(runner.list().length, 0);
});

test('a job that throws ends as failed with its one-line message, and the run records it', async () => {
  const { jobId, runId } = runner.start({ kind: 'fingerprint', params: { path: join(dir, 'missing') } });
  const end = await runner.wait(jobId);
  assert.equal(end.type, 'failed');
  assert.equal((end as Extract<JobEvent, { type: 'failed' }>).message, `no such folder: ${join(dir, 'missing')}`);
  assert.equal((end as Extract<JobEvent, { type: 'failed' }>).errorName, 'FingerprintError');
  const run = store.getRun(runId)!;
  assert.equal(run.status, 'failed');
  assert.equal(run.error, `no such folder: ${join(dir, 'missing')}`);
});

test('cancel aborts the job through its signal and records a cancelled run', async () => {
  const big = join(dir, 'big');
  mkdirSync(big);
  writeFileSync(join(big, 'weights.bin'), '');
  truncateSync(join(big, 'weights.bin'), 4 << 30); // sparse: 4 GiB of zeros, seconds of hashing
  const { jobId, runId } = runner.start({ kind: 'fingerprint', params: { path: big } });
  assert.equal(runner.list()[0].status, 'running');
  const t0 = performance.now();
  assert.equal(runner.cancel(jobId), true);
  assert.equal(runner.cancel(jobId), false, 'a second cancel is a no-op');
  const end = await runner.wait(jobId);
  assert.equal(end.type, 'cancelled');
  assert.equal((end as Extract<JobEvent, { type: 'cancelled' }>).forced, false);
  assert.ok(performance.now() - t0 < 3000, 'stopped long before the hash would have finished');
  assert.equal(store.getRun(runId)!.status, 'cancelled');
});

test('a job that ignores cancel is terminated after the grace period', async () => {
  const runner = await JobRunner.create({
    recorder: storeRecorder(store),
    modules: [pathToFileURL(join(import.meta.dirname, 'fixtures/stubborn-job.ts')).href],
    graceMs: 300,
  });
  const { jobId, runId } = runner.start({ kind: 'stubborn', params: { seconds: 30 } });
  // Wait until it is inside its busy loop, so the cancel message can never be read.
  await new Promise<void>((resolve) => {
    const off = runner.subscribe((e) => e.jobId === jobId && e.type === 'progress' && (off(), resolve()));
  });
  const t0 = performance.now();
  runner.cancel(jobId);
  const end = await runner.wait(jobId);
  assert.equal(end.type, 'cancelled');
  assert.equal((end as Extract<JobEvent, { type: 'cancelled' }>).forced, true);
  assert.ok(performance.now() - t0 < 5000);
  const run = store.getRun(runId)!;
  assert.equal(run.status, 'cancelled');
  assert.match(run.error!, /grace period/);
  await runner.close();
});

test('bad params and unknown kinds are refused before a run is created', () => {
  const before = store.listRuns().length;
  assert.throws(() => runner.start({ kind: 'fingerprint', params: {} }), PayloadError);
  assert.throws(() => runner.start({ kind: 'fingerprint', params: { path: 'x', extra: 1 } }), /fingerprint params has an unknown field "extra"/);
  assert.throws(() => runner.start({ kind: 'nope', params: {} }), UnknownJobError);
  assert.equal(store.listRuns().length, before);
});
