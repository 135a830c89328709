// The compare view's speed charts on bench runs the real engine made through the API (CPU EP): tiny-llama and
// its uniform 25 % slice, each benchmarked by the `bench` job; the points carry exactly the numbers the job
// returned (the same decodeGreedy timings as `npm run bench -- infer-speed`) and the plan that placed the weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import type { JobInput, JobKind, RunDetail } from '../../core/api/contract';
import type { BenchJobResult } from '../../core/jobs/kinds/bench';
import { speedChart, speedPoints } from '../../renderer/src/rooms/runs/speed-chart';
import { sharedModel } from '../shared';

let dir: string;
let service: SliceStudioService;
let details: RunDetail[];
const ids: Record<string, number> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-speed-'));
  service = await SliceStudioService.create({ storeFile: join(dir, 'store.db'), hardware: { dataDir: dir, probeProviders: false } });
  const run = async <K extends JobKind>(kind: K, params: JobInput<K>): Promise<number> => {
    const { jobId, runId } = await service.startJob({ kind, params });
    const end = await service.runner.wait(jobId);
    if (end.type !== 'done') throw new Error(`${kind} run ${runId} ended ${end.type}: ${JSON.stringify(end)}`);
    return runId;
  };
  const dense = sharedModel('tiny-llama');
  const sliced = join(dir, 'tl-u25');
  await run('slice', { model: dense, ratio: 0.25, out: sliced, rotation: 'uniform', round: 32, cal: 'wikitext2', nsamples: 8, seqlen: 64, sampling: 'first', seed: 1 });
  const speed = { prefillBatch: 4, promptTokens: 16, decodeBatch: 3, decodePrompt: 8, newTokens: 4, repeats: 1 };
  ids.dense = await run('bench', { model: dense, ...speed });
  ids.sliced = await run('bench', { model: sliced, ...speed });
  details = await service.compareRuns([ids.dense, ids.sliced]);
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

test('speed points hold each bench run’s recorded decode and prefill tokens/s per batch, and where its weights lived', () => {
  const points = speedPoints(details);
  assert.deepEqual(
    points.map((p) => [p.runId, p.model]),
    [
      [ids.dense, 'tiny-llama'],
      [ids.sliced, 'tl-u25'],
    ],
  );
  for (const p of points) {
    const result = details.find((d) => d.id === p.runId)!.result as BenchJobResult;
    for (const r of result.decode) {
      assert.equal(p.decode[r.batch], r.tokensPerSecond);
      assert.equal(p.msPerToken[r.batch], r.msPerToken);
    }
    for (const r of result.prefill) assert.equal(p.prefill[r.batch], r.tokensPerSecond);
    assert.deepEqual(p.prompt, { prefill: 16, decode: 8 });
    assert.equal(p.placement, 'CPU: weights in host memory (f32)');
  }
});

test('the decode and prefill charts group bars by run with one dataset per batch size of that shape', () => {
  for (const [which, batches] of [
    ['decode', ['batch 1', 'batch 3']],
    ['prefill', ['batch 1', 'batch 4']],
  ] as const) {
    const c = speedChart(speedPoints(details), which);
    assert.deepEqual(c.data.labels, [`#${ids.dense} tiny-llama`, `#${ids.sliced} tl-u25`]);
    assert.deepEqual(
      c.data.datasets.map((d) => d.label),
      batches,
    );
    for (const d of c.data.datasets)
      assert.ok(
        d.data.every((v) => typeof v === 'number' && v > 0),
        which,
      );
  }
});
