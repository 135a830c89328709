// Issue #14 item 4: the app's `bench` job gives the numbers `npm run bench -- infer-speed` gives — the same
// shapes (prefill at batch 1 and B with a long prompt, decoding at batch 1 and B′ after a short one), each
// point with the same fields — and records every point in the runs DB for the compare view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JobEvent } from '../../core/jobs/events';
import type { BenchJobResult } from '../../core/jobs/kinds/bench';
import { main as inferSpeed } from '../../bench/infer-speed';
import { sharedModel } from '../shared';
import { sliceService } from '../api/slice-service';

const env = sliceService('ss-bench-shapes-');
const model = sharedModel('tiny-stories');

test("the bench job's prefill and decode points have the benchmark JSON's batches, prompt lengths and fields, and each is a recorded metric", async () => {
  const json = join(env.dir, 'infer-speed.json');
  const log = console.log;
  console.log = () => {}; // the benchmark prints its report; the file is what is compared
  try {
    await inferSpeed(['--dense', model, '--prompt', '16', '--prefill-batch', '4', '--decode-prompt', '8', '--decode-batch', '3', '--new', '4', '--repeats', '1', '--json', json]);
  } finally {
    console.log = log;
  }
  type Point = Record<string, unknown>;
  const benchmark = (JSON.parse(readFileSync(json, 'utf8')) as { models: { dense: { prefill: Point[]; decode: Point[] } } }).models.dense;

  const { jobId, runId } = await env.service.startJob({ kind: 'bench', params: { model, promptTokens: 16, prefillBatch: 4, decodePrompt: 8, decodeBatch: 3, newTokens: 4, repeats: 1 } });
  const end = await env.service.runner.wait(jobId);
  assert.equal(end.type, 'done', JSON.stringify(end));
  const job = (end as Extract<JobEvent, { type: 'done' }>).result as BenchJobResult;

  const shape = (points: Point[]) => points.map((p) => ({ keys: Object.keys(p).sort(), batch: p.batch, promptTokens: p.promptTokens, steps: p.steps }));
  for (const which of ['prefill', 'decode'] as const) {
    assert.deepEqual(shape(job[which] as unknown as Point[]), shape(benchmark[which]), which);
    for (const p of [...job[which], ...benchmark[which]]) assert.ok((p.tokensPerSecond as number) > 0 && p.error === undefined, JSON.stringify(p));
  }
  assert.deepEqual(
    job.prefill.map((p) => [p.batch, p.promptTokens]),
    [
      [1, 16],
      [4, 16],
    ],
  );
  assert.deepEqual(
    job.decode.map((p) => [p.batch, p.promptTokens, p.steps]),
    [
      [1, 8, 4],
      [3, 8, 4],
    ],
  );

  // Every point is in the runs DB with exactly the job's number.
  const run = await env.service.getRun(runId);
  const metric = (name: string, batch: number) => run.metrics.find((m) => m.name === name && m.task === `batch ${batch}`)?.value;
  for (const p of job.prefill) assert.equal(metric('prefill_tokens_per_second', p.batch), p.tokensPerSecond);
  for (const p of job.decode) {
    assert.equal(metric('decode_ms_per_token', p.batch), p.msPerToken);
    assert.equal(metric('decode_tokens_per_second', p.batch), p.tokensPerSecond);
  }
});
