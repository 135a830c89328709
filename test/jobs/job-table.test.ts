// The job table (core/jobs/kinds/index.ts) is the one list of job kinds: every entry is filed under its own
// kind, every registered kind is in it, and a job's params are checked by its entry's validator alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JOBS } from '../../core/jobs/kinds/index';
import { jobKinds } from '../../core/jobs/registry';
import { storedParams } from '../../core/jobs/run-params';
import { isDoneOf, runResultOf } from '../../core/api/contract';
import { sharedModel } from '../shared';

test('every job kind is one table entry filed under its own name, and the registry knows exactly these', () => {
  for (const [key, def] of Object.entries(JOBS)) assert.equal(def.kind, key);
  assert.deepEqual(jobKinds(), Object.keys(JOBS).sort());
});

test("a run's stored settings give back its params whole: only the keys the app adds beside them are dropped", () => {
  const params = JOBS.slice.params.check({ model: sharedModel('tiny-llama'), ratio: 0.25, rotation: 'uniform', vramGb: 2, out: '/tmp/x' }, 'slice params');
  const settings = { job: 'slice', ...params, modelPath: params.model, resumeOf: 3 };
  assert.deepEqual(storedParams(settings), params);
  // What comes back passes the same validator unchanged (a resume sends it as it is, plus resume: true).
  assert.deepEqual(JOBS.slice.params.check(storedParams(settings), 'slice params'), params);
});

test('a done event and a stored run give their result the type of their job only when they are of that job', () => {
  const done = { type: 'done' as const, jobId: 'j', runId: 1, kind: 'slice', at: 0, seconds: 1, result: { out: '/o' } };
  assert.equal(isDoneOf(done, 'slice'), true);
  assert.equal(isDoneOf(done, 'eval'), false);
  assert.equal(isDoneOf({ ...done, type: 'log', message: 'x' } as never, 'slice'), false);
  assert.equal(runResultOf({ kind: 'slice', settings: { job: 'slice' }, result: { out: '/o' } }, 'slice')?.out, '/o');
  assert.equal(runResultOf({ kind: 'export', settings: { job: 'synth' }, result: { out: '/o' } }, 'export'), null);
  // Runs recorded before settings named their job: the run kind is the job's name.
  assert.equal(runResultOf({ kind: 'slice', settings: {}, result: { out: '/o' } }, 'slice')?.out, '/o');
  assert.equal(runResultOf({ kind: 'slice', settings: { job: 'slice' }, result: null }, 'slice'), null);
});
