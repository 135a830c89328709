import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import { cli, cliJson, models } from './cli-helpers';
import type { RunSummary } from '../../core/api/contract';

test('runs --status queued lists the jobs an app (another live process) has waiting; they stay queued, not interrupted', async () => {
  const data = mkdtempSync(join(tmpdir(), 'ss-cli-queued-'));
  const service = await SliceStudioService.create({ storeFile: join(data, 'slice-studio.db'), hardware: { probeProviders: false }, runner: { graceMs: 30_000 } });
  try {
    const model = join(models, 'tiny-llama');
    const first = await service.startJob({ kind: 'ppl', params: { model }, name: 'ppl first' });
    const second = await service.startJob({ kind: 'ppl', params: { model }, name: 'ppl second' });
    const queued = cliJson<RunSummary[]>(data, 'runs', '--status', 'queued');
    assert.deepEqual(
      queued.map((r) => [r.id, r.name, r.ownerPid]),
      [[second.runId, 'ppl second', process.pid]],
    );
    assert.match(cli(data, 'runs', '--status', 'queued').out, new RegExp(`^${second.runId}\\s+queued\\s+ppl`, 'm'));
    assert.equal((await service.getRun(first.runId)).status, 'running');
    await service.cancelJob(second.jobId);
    await service.cancelJob(first.jobId);
    assert.equal((await service.runner.wait(first.jobId).catch(() => null))?.type ?? 'cancelled', 'cancelled');
    assert.equal((await service.getRun(second.runId)).status, 'cancelled');
  } finally {
    await service.close();
    rmSync(data, { recursive: true, force: true });
  }
});
