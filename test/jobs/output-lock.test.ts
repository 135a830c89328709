import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import { FolderInUseError, lockFileFor } from '../../core/files/folder-lock';
import { sharedModel } from '../shared';

const model = sharedModel('tiny-llama');
const params = { model, cal: 'wikitext2', nsamples: 2, seqlen: 64, sampling: 'first' as const, seed: 0, round: 8 };
let dir: string;
let service: SliceStudioService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-outlock-'));
  service = await SliceStudioService.create({ storeFile: join(dir, 'store.db'), hardware: { probeProviders: false }, runner: { graceMs: 30_000 } });
});

after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a second slice into an output folder that a job holds is refused with the run that holds it, and leaves no run behind', async () => {
  const out = join(dir, 'same');
  const first = await service.startJob({ kind: 'slice', params: { ...params, ratio: 0.25, out } });
  assert.ok(existsSync(lockFileFor(out)));
  await assert.rejects(service.startJob({ kind: 'slice', params: { ...params, ratio: 0.5, out } }), (e: Error) => {
    assert.ok(e instanceof FolderInUseError);
    assert.equal(e.message, `${out} is in use by run ${first.runId} (process ${process.pid}): wait for it, cancel it, or choose another output`);
    return true;
  });
  // The refused job leaves no run behind; the first job is untouched and finishes.
  assert.deepEqual(
    (await service.listRuns()).map((r) => r.id),
    [first.runId],
  );
  // An export may not write into it either while the slice runs, nor read the half-written folder.
  await assert.rejects(service.startJob({ kind: 'export', params: { model, format: 'safetensors', out, overwrite: true } }), FolderInUseError);
  await assert.rejects(service.startJob({ kind: 'export', params: { model: out, format: 'onnx', out: join(dir, 'onnx') } }), {
    name: 'FolderInUseError',
    message: `${out} is still being written by run ${first.runId} (process ${process.pid}): wait for it to finish`,
  });
  const end = await service.runner.wait(first.jobId);
  assert.equal(end.type, 'done', JSON.stringify(end));
  assert.ok(!existsSync(lockFileFor(out)), 'the lock is released when the job ends');
  // Free again: a new slice into the same folder is accepted.
  const again = await service.startJob({ kind: 'slice', params: { ...params, ratio: 0.5, out } });
  assert.equal((await service.runner.wait(again.jobId)).type, 'done');
});
