import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobRunner, type RunRecorder } from '../../core/jobs/runner';
import { storeRecorder } from '../../core/jobs/store-recorder';
import { Store, StoreError } from '../../core/store/store';
import type { JobEvent } from '../../core/jobs/events';
import { mountTmpfs, tmpfsSkip } from '../files/tmpfs';

const fixture = pathToFileURL(join(import.meta.dirname, 'fixtures/wait-job.ts')).href;
type Failed = Extract<JobEvent, { type: 'failed' }>;

test('a store that fails while a job runs fails that job with one line; the runner (the host) keeps working', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-storefault-'));
  const store = Store.open(join(dir, 'store.db'));
  const real = storeRecorder(store);
  let broken = false;
  // The store as a full disk leaves it: every write throws what better-sqlite3 throws there.
  const recorder: RunRecorder = {
    started: (i) => real.started(i),
    launched: (id) => real.launched?.(id),
    progressed(id, e) {
      if (broken) throw new StoreError(`cannot add phase ${e.phase} to run ${id}: database or disk is full`);
      real.progressed?.(id, e);
    },
    ended(id, e) {
      if (broken) throw new StoreError(`cannot update run ${id}: database or disk is full`);
      real.ended(id, e);
    },
  };
  const runner = await JobRunner.create({ recorder, modules: [fixture], graceMs: 20_000 });
  try {
    const job = runner.start({ kind: 'wait-heavy', params: { ms: 1500, phases: 6 } });
    await new Promise<void>((resolve) => {
      const off = runner.subscribe((e) => e.jobId === job.jobId && e.type === 'progress' && (off(), resolve()));
    });
    broken = true;
    const end = await runner.wait(job.jobId);
    assert.equal(end.type, 'failed');
    assert.match((end as Failed).message, /^could not record the run's progress: cannot add phase step-\d to run \d+: database or disk is full$/);
    assert.equal((end as Failed).errorName, 'StoreError');
    assert.equal(runner.list().length, 0);
    assert.equal(store.getRun(job.runId)!.status, 'running', 'the end could not be recorded while the disk was full');
    // Space again: the next job records its run, and the refused end of the first is recorded too.
    broken = false;
    const next = runner.start({ kind: 'wait-light', params: { ms: 50 } });
    assert.equal((await runner.wait(next.jobId)).type, 'done');
    const first = store.getRun(job.runId)!;
    assert.equal(first.status, 'failed');
    assert.match(first.error!, /database or disk is full/);
  } finally {
    await runner.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store on a disk that really fills while a job runs: the job fails with one line, the run is not left running', { skip: tmpfsSkip }, async () => {
  const fs = mountTmpfs(4 << 20);
  const store = Store.open(join(fs.dir, 'store.db'));
  const runner = await JobRunner.create({ recorder: storeRecorder(store), modules: [fixture], graceMs: 20_000 });
  try {
    const job = runner.start({ kind: 'wait-heavy', params: { ms: 3000, phases: 30 } });
    await new Promise<void>((resolve) => {
      const off = runner.subscribe((e) => e.jobId === job.jobId && e.type === 'progress' && (off(), resolve()));
    });
    fs.fill();
    const end = await runner.wait(job.jobId);
    assert.equal(end.type, 'failed', JSON.stringify(end));
    assert.match((end as Failed).message, /^could not record the run's progress: .*(full|SQLITE_FULL)/);
    assert.ok(!(end as Failed).message.includes('\n'));
    fs.free();
    const next = runner.start({ kind: 'wait-light', params: { ms: 50 } });
    assert.equal((await runner.wait(next.jobId)).type, 'done');
    assert.equal(store.getRun(job.runId)!.status, 'failed');
  } finally {
    await runner.close();
    store.close();
    fs.unmount();
  }
});
