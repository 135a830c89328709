// Each engine command of the CLI, spawned once with --json on the tiny shared models: the JSON it prints,
// and the run it recorded in SQLite with its metrics.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedData, sharedModel } from '../shared';
import { cli, cliJson, metric, models, storedRun } from './cli-helpers';

let data: string;
before(() => (data = mkdtempSync(join(tmpdir(), 'ss-cli-jobs-'))));
after(() => rmSync(data, { recursive: true, force: true }));

interface JobJson<R> {
  runId: number;
  jobId: string;
  status: string;
  result: R;
}

test('ppl --json: the first 8 WikiText-2 test windows of tiny-llama, recorded with ppl, tokens, windows, seqlen and tokens/s', () => {
  const j = cliJson<JobJson<{ ppl: number; windows: number; seqLen: number; tokens: number; model: { d: number; params: number } }>>(data, 'ppl', sharedModel('tiny-llama'), '--max-windows', '8');
  assert.equal(j.status, 'done');
  // Pinned by test/runtime/perplexity.test.ts for the same 8 windows.
  assert.ok(Math.abs(j.result.ppl / 164.92259157531575 - 1) < 2e-5, `ppl ${j.result.ppl}`);
  assert.deepEqual([j.result.windows, j.result.seqLen, j.result.tokens], [8, 256, 2048]);
  const run = storedRun(data, j.runId);
  assert.equal(run.kind, 'ppl');
  assert.equal(run.status, 'done');
  assert.equal(metric(run, 'ppl'), j.result.ppl);
  assert.equal(metric(run, 'tokens'), 2048);
  assert.equal(metric(run, 'windows'), 8);
  // The perplexity carries what it was measured on, and its standard error over the windows.
  const ppl = run.metrics.find((m) => m.name === 'ppl')!;
  assert.deepEqual(ppl.protocol, { dataset: 'wikitext2', split: 'test', seqlen: 256, windows: 8, of: 1568 });
  assert.ok(ppl.stderr! > 0 && ppl.stderr! < ppl.value / 2, `stderr ${ppl.stderr}`);
  assert.equal(metric(run, 'seqlen'), 256);
  assert.ok(metric(run, 'tokens_per_second')! > 0);
  assert.equal(metric(run, 'd'), 256);
  assert.equal(metric(run, 'params'), 5_048_576);
  assert.equal(run.settings.model, join(models, 'tiny-llama'));
  assert.equal(run.ep, 'cpu');
  assert.ok(run.peakRss! > 0 && run.fingerprint && run.modelId !== null);
  assert.ok(run.phases.some((p) => p.phase === 'ppl'));
});

test('generate --json: greedy tiny-stories continuation is the reference text, recorded with its speed', () => {
  const j = cliJson<JobJson<{ text: string; newTokens: number }>>(data, 'generate', sharedModel('tiny-stories'), '--prompt', 'Once upon a time', '--max-new-tokens', '12');
  const reference = JSON.parse(readFileSync(join(models, 'reference.json'), 'utf8'))['tiny-stories'].greedy.text as string;
  assert.equal(j.result.newTokens, 12);
  assert.ok(j.result.text.startsWith('Once upon a time, there was'), j.result.text);
  assert.ok(reference.startsWith(j.result.text), `${j.result.text} is not a prefix of the reference`);
  const run = storedRun(data, j.runId);
  assert.equal(run.kind, 'generate');
  assert.equal((run.result as { text: string }).text, j.result.text);
  assert.equal(metric(run, 'new_tokens'), 12);
  assert.ok(metric(run, 'decode_tokens_per_second')! > 0);
});

test('eval --json with --ppl: per-task acc/acc_norm with stderr, perplexity and the per-item artifact, all in SQLite', () => {
  const j = cliJson<JobJson<{ tasks: { task: string; acc: number; accNorm: number; n: number }[]; ppl: { ppl: number }; items: { path: string } }>>(
    data,
    'eval',
    sharedModel('tiny-llama'),
    '--tasks',
    'piqa,arc_easy',
    '--limit',
    '6',
    '--ppl',
    '--ppl-max-windows',
    '2',
  );
  assert.deepEqual(
    j.result.tasks.map((t) => [t.task, t.n]),
    [
      ['piqa', 6],
      ['arc_easy', 6],
    ],
  );
  const run = storedRun(data, j.runId);
  assert.equal(run.kind, 'eval');
  for (const t of j.result.tasks) {
    const acc = run.metrics.find((m) => m.name === 'acc' && m.task === t.task)!;
    assert.equal(acc.value, t.acc);
    assert.ok(acc.stderr !== null && acc.stderr >= 0);
    assert.equal(metric(run, 'acc_norm', t.task), t.accNorm);
  }
  assert.ok(metric(run, 'average')! >= 0);
  assert.equal(metric(run, 'ppl'), j.result.ppl.ppl);
  assert.equal(metric(run, 'windows'), 2);
  const items = readFileSync(j.result.items.path, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { task: string; logliks: number[] });
  assert.equal(items.length, 12);
  assert.equal(items[0].task, 'piqa');
  assert.equal(items[0].logliks.length, 2);
  assert.deepEqual(
    run.artifacts.map((a) => [a.kind, a.format, a.path]),
    [['eval-items', 'jsonl', join(data, 'runs', String(j.runId), 'items.jsonl')]],
  );
});

test('bench --json: prefill tokens/s at batch 1 and N, decode ms/token at batch 1 and N, and peak memory', () => {
  const j = cliJson<JobJson<{ prefill: { batch: number }[]; decode: { batch: number }[] }>>(data, 'bench', sharedModel('tiny-stories'), '--batch', '2', '--prompt-tokens', '16', '--decode-prompt', '8', '--new-tokens', '4', '--repeats', '1');
  for (const points of [j.result.prefill, j.result.decode])
    assert.deepEqual(
      points.map((r) => r.batch),
      [1, 2],
    );
  const run = storedRun(data, j.runId);
  assert.equal(run.kind, 'bench');
  for (const task of ['batch 1', 'batch 2']) {
    assert.ok(metric(run, 'prefill_tokens_per_second', task)! > 0, task);
    assert.ok(metric(run, 'decode_ms_per_token', task)! > 0, task);
  }
  assert.ok(metric(run, 'peak_rss')! > 0);
});

test('plan --json on a published config: LLaMA-2-70B in 4-bit on two 16 GB GPUs needs 31% (d = 5632)', () => {
  const j = cliJson<{ plan: { fits: boolean; ratio: number; d: number }; estimate: { ratio: number; d: number; fits: boolean }; hardware: { gpus: { freeBytes: number }[] } }>(
    data,
    'plan',
    sharedData('configs', 'llama-2-70b-hf.json'),
    '--gpus',
    '16,16',
    '--format',
    'q4',
    '--ctx',
    '4096',
    '--ratio',
    '0.25',
  );
  assert.deepEqual([j.plan.fits, j.plan.ratio, j.plan.d], [true, 0.31, 5632]);
  assert.equal(j.estimate.ratio, 0.25);
  assert.equal(j.estimate.fits, false);
  assert.deepEqual(
    j.hardware.gpus.map((g) => g.freeBytes),
    [16 * 2 ** 30, 16 * 2 ** 30],
  );
  const human = cli(data, 'plan', sharedData('configs', 'llama-2-70b-hf.json'), '--gpus', '16,16', '--format', 'q4', '--ctx', '4096');
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, /Slice at 31% \(d = 5632 of 8192\) to fit/);
});

test('engine commands refuse bad input in one line', () => {
  for (const [args, message] of [
    [['slice', sharedModel('tiny-llama')], /^slice-studio: slice needs --ratio R/],
    [['slice', sharedModel('tiny-llama'), '--ratio', '2'], /^slice-studio: --ratio must be a number from 0 to 0\.99/],
    [['slice', sharedModel('tiny-llama'), '--ratio', '0.2', '--resume'], /^slice-studio: --resume needs --out/],
    [['eval', sharedModel('tiny-llama'), '--tasks', 'piqa,mmlu'], /^slice-studio: --tasks must be one of "piqa" .*\(got "mmlu"\)$/m],
    [['slice', sharedModel('tiny-llama'), '--ratio', '0.2', '--seqlen', '1024'], /^slice-studio: --seqlen 1024 exceeds the model's 512 positions$/m],
    [['ppl', sharedModel('tiny-llama'), '--ep', 'tpu'], /^slice-studio: --ep must be one of cpu, webgpu/],
    [['plan', sharedData('configs', 'llama-2-70b-hf.json'), '--gpus', 'lots'], /^slice-studio: --gpus must be auto, cpu, or sizes/],
    [['runs', 'show', 'x'], /^slice-studio: runs show needs run ids/],
  ] as const) {
    const r = cli(data, ...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, message);
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
  }
  const missing = cli(data, 'ppl', '/no/such/model');
  assert.equal(missing.code, 1);
  assert.equal(missing.err.trim().split('\n').length, 1, missing.err);
  assert.match(missing.err, /^slice-studio: .*\/no\/such\/model/);
});
