// The generate job streams each model's continuation as progress events, and a cancel mid-stream keeps
// what was streamed: the partial texts are exactly the start of what the uncancelled run writes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import type { JobEvent } from '../../core/jobs/events';
import type { GenerateJobResult } from '../../core/jobs/kinds/generate';
import type { JobInput } from '../../core/api/contract';
import { sharedModel } from '../shared';

const dense = sharedModel('tiny-llama');
const stories = sharedModel('tiny-stories');
let dir: string;
let service: SliceStudioService;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-generate-'));
  service = await SliceStudioService.create({ storeFile: join(dir, 'store.db'), hardware: { dataDir: dir, probeProviders: false } });
});
after(async () => {
  await service.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a generate job, collecting each column's streamed text; `cancelAfter` tokens of column 0 cancels it. */
async function streamed(params: JobInput<'generate'>, cancelAfter?: number) {
  const texts: string[] = [];
  const tokens: number[] = [];
  let jobId = '';
  const early: JobEvent[] = [];
  const on = (e: JobEvent) => {
    if (e.type !== 'progress' || !e.data || typeof e.data['completion'] !== 'string') return;
    const col = e.data['column'] as number;
    texts[col] = e.data['completion'] as string;
    tokens[col] = e.data['tokens'] as number;
    if (cancelAfter !== undefined && col === 0 && tokens[0] >= cancelAfter) void service.cancelJob(jobId);
  };
  const off = service.events.subscribe((ev) => {
    if (ev.channel !== 'job') return;
    if (!jobId) early.push(ev);
    else if (ev.jobId === jobId) on(ev);
  });
  const started = await service.startJob({ kind: 'generate', params });
  jobId = started.jobId;
  early.filter((e) => e.jobId === jobId).forEach(on);
  const end = await service.runner.wait(jobId);
  off();
  return { end, texts, tokens, runId: started.runId };
}

test('each token streams as the continuation so far, for both models, and the last event equals the result', async () => {
  const s = await streamed({ model: stories, compare: dense, prompt: 'Once upon a time', maxNewTokens: 10 });
  assert.equal(s.end.type, 'done');
  const r = (s.end as Extract<JobEvent, { type: 'done' }>).result as GenerateJobResult;
  assert.deepEqual(s.tokens, [10, 10]);
  assert.equal(s.texts[0], r.completion);
  assert.equal(s.texts[1], r.compared?.completion);
});

test('a cancel mid-stream ends the job cancelled and keeps the partial texts: the start of the uncancelled continuations', async () => {
  const params = { model: stories, compare: dense, prompt: 'Once upon a time', maxNewTokens: 300, temperature: 0.7, seed: 11 };
  const cut = await streamed(params, 5);
  assert.equal(cut.end.type, 'cancelled');
  assert.ok(cut.tokens[0] >= 5 && cut.tokens[0] < 300, `${cut.tokens[0]} tokens before the cancel took`);
  assert.ok(cut.texts[0].length > 0 && cut.texts[1].length > 0, JSON.stringify(cut.texts));
  const run = await service.getRun(cut.runId);
  assert.equal(run.status, 'cancelled');
  // The same seeded run, uncancelled, writes the same text on from there.
  const full = await streamed({ ...params, maxNewTokens: cut.tokens[0] + 2 });
  const r = (full.end as Extract<JobEvent, { type: 'done' }>).result as GenerateJobResult;
  assert.ok(r.completion.startsWith(cut.texts[0]), `${JSON.stringify(cut.texts[0])} does not start ${JSON.stringify(r.completion)}`);
  assert.ok(r.compared!.completion.startsWith(cut.texts[1]), `${JSON.stringify(cut.texts[1])} does not start ${JSON.stringify(r.compared!.completion)}`);
});
