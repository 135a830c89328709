// `slice-studio demo` (npm run demo) on the bundled demo model, with small sizes: hardware, plan, dense and
// sliced evaluation around a 25% slice, all three runs in SQLite, and the side-by-side table.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, cliJson, metric, root, storedRun } from '../transports/cli-helpers';
import type { DemoResult } from '../../core/demo/demo';

const small = ['--nsamples', '8', '--seqlen', '128', '--ppl-windows', '2', '--limit', '4'];
let data: string;
before(() => (data = mkdtempSync(join(tmpdir(), 'ss-demo-'))));
after(() => rmSync(data, { recursive: true, force: true }));

test('demo --json slices the bundled model at 25% and records dense and sliced evaluations under the slice run', () => {
  const r = cliJson<Omit<DemoResult, 'hardware' | 'slice'> & { slice: { out: string; d: number; hiddenSize: number } }>(data, 'demo', ...small);
  assert.equal(r.model, join(root, 'resources/models/tiny-llama'));
  assert.equal(r.plan.plan.fits, true);
  assert.equal(r.plan.estimate!.d, 192);
  assert.deepEqual([r.slice.d, r.slice.hiddenSize], [192, 256]);
  assert.ok(existsSync(join(r.slice.out, 'slicing_config.json')));
  assert.equal(r.slice.out, join(data, 'slices', `tiny-llama-0.25-${r.runs.slice}`));

  const dense = storedRun(data, r.runs.denseEval);
  const slice = storedRun(data, r.runs.slice);
  const sliced = storedRun(data, r.runs.slicedEval);
  assert.deepEqual([dense.kind, slice.kind, sliced.kind], ['eval', 'slice', 'eval']);
  assert.ok([dense, slice, sliced].every((x) => x.status === 'done'));
  // The slice hangs under the dense evaluation (its baseline); the sliced evaluation under the slice.
  assert.equal(slice.parentRunId, dense.id);
  assert.equal(sliced.parentRunId, slice.id);
  assert.ok(dense.modelId !== null && sliced.modelId === dense.modelId && slice.modelId === dense.modelId);
  assert.deepEqual([metric(dense, 'd'), metric(sliced, 'd')], [256, 192]);
  assert.ok(metric(sliced, 'params')! < metric(dense, 'params')!);
  for (const run of [dense, sliced]) {
    assert.equal(metric(run, 'windows'), 2);
    for (const task of ['piqa', 'arc_easy']) assert.equal(metric(run, 'n', task), 4);
  }
  assert.ok(metric(sliced, 'ppl')! > metric(dense, 'ppl')!, 'slicing 25% costs perplexity');
  assert.deepEqual(
    r.comparison.map((c) => c.id),
    [dense.id, sliced.id],
  );
  assert.match(r.table, /^\s+dense\s+sliced 25%$/m);
  assert.match(r.table, /^params\s+5\.05M\s+[\d.]+M$/m);
  assert.match(r.table, /^piqa acc_norm\s/m);
  // The sliced column carries its difference to the dense model measured the same way, ± standard error.
  assert.match(r.table, /^ppl\s+[\d.]+ ±[\d.]+\s+[\d.]+ ±[\d.]+ \(Δ \+[\d.]+ ± [\d.]+ vs dense\)$/m);
  assert.match(r.table, /^piqa acc_norm\s+[\d.]+% ±[\d.]+\s+[\d.]+% ±[\d.]+ \(Δ [+−][\d.]+ ± [\d.]+ pp vs dense\)$/m);
  assert.match(r.table, /^ppl measured on\s+2×256\s+2×256$/m);
  assert.match(r.table, /^perplexity: WikiText-2 test, first 2 of \d+ windows × 256 tokens; ± standard error/m);
  assert.match(r.table, /^peak memory\s+\d+ MiB\s+\d+ MiB$/m);
});

test('demo prints its steps on stderr and the comparison on stdout', () => {
  const r = cli(data, 'demo', ...small, '--tasks', 'piqa');
  assert.equal(r.code, 0, r.err);
  for (const step of ['Detecting hardware', 'Planning', 'Evaluating the dense model', 'Slicing at 25%', 'Evaluating the sliced model']) assert.match(r.err, new RegExp(step));
  assert.match(r.out, /^d\s+256\s+192$/m);
  assert.match(r.out, /^ppl\s+[\d.]+ ±[\d.]+\s+[\d.]+ ±[\d.]+ \(Δ \+[\d.]+ ± [\d.]+ vs dense\)$/m);
  assert.match(r.out, /slice-studio runs compare \d+ \d+ \d+/);
});
