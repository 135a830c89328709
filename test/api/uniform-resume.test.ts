// A uniform-rotation slice stopped mid-way and continued the way the Runs view does it (cancelJob, then
// resumeJob with nothing but the run id) gives the same folder as an uninterrupted uniform slice, and stays
// uniform: the resume takes the run's stored params whole, and both passes are checkpointed per layer (a tiny model's boundaries are all small: checkpoint-cadence.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobEndEvent } from '../../core/jobs/events';
import type { SliceJobResult } from '../../core/jobs/kinds/slice';
import { safetensorsOf, SLICE_PARAMS, sliceCancelledWhen, sliceService } from './slice-service';

const fixture = sliceService('ss-uniform-resume-');
const params = { ...SLICE_PARAMS, rotation: 'uniform' as const, vramGb: 1 };
let reference: string;

const resultOf = (end: JobEndEvent): SliceJobResult => {
  assert.equal(end.type, 'done', JSON.stringify(end));
  return (end as Extract<JobEndEvent, { type: 'done' }>).result as SliceJobResult;
};

async function uninterrupted(): Promise<string> {
  if (reference) return reference;
  const { service, dir } = fixture;
  const ref = await service.startJob({ kind: 'slice', params: { ...params, out: join(dir, 'ref') } });
  reference = resultOf(await service.runner.wait(ref.jobId)).out;
  return reference;
}

/** Cancels where `when` says, resumes through the API and checks the folder against the uninterrupted one. */
async function cancelResumeCompare(when: (e: { phase: string; layer?: number }) => boolean, stage: RegExp) {
  const { service } = fixture;
  const ref = await uninterrupted();
  const first = await sliceCancelledWhen(service, params, when);
  assert.equal(first.end.type, 'cancelled');
  const stopped = await service.getRun(first.runId);
  const out = stopped.settings.out as string;
  assert.ok(existsSync(join(out, '.checkpoint', 'state.json')), 'no checkpoint after cancel');
  const can = await service.resumability(first.runId);
  assert.equal(can.resumable, true, can.reason);
  assert.ok(can.nextLayer !== null && can.nextLayer >= 1, `the checkpoint is at layer ${can.nextLayer}`);

  const resumed = await service.resumeJob(first.runId);
  const logs: string[] = [];
  const off = service.events.subscribe((e) => e.channel === 'job' && e.jobId === resumed.jobId && e.type === 'log' && logs.push(e.message));
  const result = resultOf(await service.runner.wait(resumed.jobId));
  off();
  assert.ok(result.resumedAt !== null && result.resumedAt >= 1, `resumed at ${result.resumedAt}`);
  assert.ok(
    logs.some((l) => stage.test(l)),
    logs.join('\n'),
  );
  assert.equal(result.out, out);
  assert.equal(existsSync(join(out, '.checkpoint')), false, 'the checkpoint is removed once the folder is complete');

  // Byte-identical: every shard, and the slicing config the runtime reads.
  const a = safetensorsOf(ref);
  const b = safetensorsOf(out);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs`);
  assert.equal(readFileSync(join(out, 'slicing_config.json'), 'utf8'), readFileSync(join(ref, 'slicing_config.json'), 'utf8'));
  assert.equal(JSON.parse(readFileSync(join(out, 'slice_studio.json'), 'utf8')).rotation, 'uniform');

  // The resumed run's params are the stopped run's, whole: still uniform, still its VRAM budget.
  const run = await service.getRun(resumed.runId);
  assert.equal(run.settings.rotation, 'uniform');
  assert.equal(run.settings.vramGb, 1);
  assert.equal(run.settings.resume, true);
  assert.equal(run.settings.resumeOf, first.runId);
  assert.equal(run.settings.out, out);
}

test('a uniform slice cancelled in its signal pass and resumed with resumeJob writes the same bytes as an uninterrupted uniform slice', async () => {
  await cancelResumeCompare((e) => e.phase === 'signals' && (e.layer ?? -1) >= 2, /resuming the signal pass at layer [23]/);
});

test('a uniform slice cancelled in its rotation pass resumes there and writes the same bytes', async () => {
  await cancelResumeCompare((e) => e.phase === 'rotate' && (e.layer ?? -1) >= 1, /resuming the rotation pass at layer [234]/);
});
