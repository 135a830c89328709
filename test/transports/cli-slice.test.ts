// The slicing workflow from the command line: slice, Ctrl+C mid-way, continue with the command the CLI
// prints, evaluate the sliced folder, then look at the runs (show, compare) — all recorded in SQLite.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedModel } from '../shared';
import { cli, cliJson, metric, models, sliceInterruptedAfterFirstCheckpoint, storedRun } from './cli-helpers';

let data: string;
before(() => (data = mkdtempSync(join(tmpdir(), 'ss-cli-slice-'))));
after(() => rmSync(data, { recursive: true, force: true }));

interface SliceJson {
  runId: number;
  status: string;
  result: { out: string; d: number; resumedAt: number | null; artifact: { sha256: string; bytes: number }; sliced: { params: number } };
}

test('slice: Ctrl+C keeps the checkpoint and prints the command that resumes it; that command finishes the model', async () => {
  const out = join(data, 'tiny-llama-25');
  const args = ['slice', sharedModel('tiny-llama'), '--ratio', '0.25', '--cal', 'wikitext2', '--nsamples', '16', '--seqlen', '128', '--sampling', 'first', '--out', out];
  const interrupted = await sliceInterruptedAfterFirstCheckpoint(data, args, out);
  const sent = interrupted.sent;
  assert.ok(sent, `never saw a checkpoint: ${interrupted.err}`);
  assert.equal(interrupted.code, 130, interrupted.err);
  const hint = /continue with: (slice-studio slice .*--resume)$/m.exec(interrupted.err);
  assert.ok(hint, interrupted.err);
  const command = hint[1].split(' ').slice(1);
  assert.deepEqual(command.slice(0, 2), ['slice', join(models, 'tiny-llama')]);
  assert.ok(command.includes('--out') && command.includes(out));
  const cancelled = JSON.parse(cli(data, 'runs', '--json').out)[0] as { id: number; status: string; kind: string };
  assert.deepEqual([cancelled.kind, cancelled.status], ['slice', 'cancelled']);

  const j = cliJson<SliceJson>(data, ...command);
  assert.equal(j.status, 'done');
  assert.ok(j.result.resumedAt !== null && j.result.resumedAt >= 0, `resumedAt ${j.result.resumedAt}`);
  assert.equal(j.result.out, out);
  assert.equal(j.result.d, 192);
  assert.ok(!existsSync(join(out, '.checkpoint')));
  const run = storedRun(data, j.runId);
  assert.equal(run.kind, 'slice');
  assert.equal(run.settings.resume, true);
  assert.equal(metric(run, 'd'), 192);
  assert.equal(metric(run, 'params'), j.result.sliced.params);
  assert.ok(j.result.sliced.params < 5_048_576);
  assert.deepEqual(
    run.artifacts.map((a) => [a.kind, a.path, a.sha256]),
    [['sliced-model', out, j.result.artifact.sha256]],
  );
  assert.equal(run.layers.filter((l) => l.keptVariance !== null).length, 9);
});

test('a sliced folder evaluates under its slice run; runs show and runs compare read them back', () => {
  const out = join(data, 'tiny-llama-25');
  const slices = JSON.parse(cli(data, 'runs', '--kind', 'slice', '--status', 'done', '--json').out) as { id: number }[];
  const sliceRun = slices[0].id;
  const ppl = cliJson<{ runId: number; result: { ppl: number; model: { d: number; sliced: boolean } } }>(data, 'ppl', out, '--max-windows', '2');
  assert.equal(ppl.result.model.d, 192);
  assert.equal(ppl.result.model.sliced, true);
  const pplRun = storedRun(data, ppl.runId);
  assert.equal(pplRun.parentRunId, sliceRun);
  assert.equal(pplRun.modelId, storedRun(data, sliceRun).modelId);

  const shown = cliJson<{ id: number; metrics: unknown[]; layers: unknown[]; artifacts: unknown[]; phases: unknown[] }>(data, 'runs', 'show', String(sliceRun));
  assert.equal(shown.id, sliceRun);
  assert.ok(shown.layers.length > 0 && shown.artifacts.length === 1 && shown.phases.length > 0);
  const human = cli(data, 'runs', 'show', String(sliceRun));
  assert.equal(human.code, 0, human.err);
  assert.match(human.out, /artifact \(sliced-model, safetensors/);
  assert.match(human.out, /kept variance/);
  // Phase rows (one per phase and block, without the layer) are summed per phase, with how many times each ran.
  assert.match(human.out, /^phase\s+seconds\s+share\s+times$/m);
  assert.match(human.out, /^pca\s+[\d.]+\s+\d+%\s+\d+$/m);
  assert.match(human.out, /^total\s+[\d.]+$/m);
  assert.equal(human.out.split('\n').filter((l) => /^(signals|pca|rotate)\s/.test(l)).length, 3);

  const compared = cliJson<{ id: number; parent: { id: number; metrics: { name: string }[] } | null }[]>(data, 'runs', 'compare', String(sliceRun), String(ppl.runId));
  assert.deepEqual(
    compared.map((r) => r.id),
    [sliceRun, ppl.runId],
  );
  assert.equal(compared[1].parent!.id, sliceRun);
  assert.ok(compared[1].parent!.metrics.some((m) => m.name === 'd'));
  const table = cli(data, 'runs', 'compare', String(sliceRun), String(ppl.runId));
  assert.equal(table.code, 0, table.err);
  assert.match(table.out, /^d\s+192\s+192$/m);
  // The slice's column shows its own evaluation (the ppl run), both beside the dense model measured the same way.
  const row = /^ppl\s+([\d.]+) ±[\d.]+ \(Δ [+−][\d.]+ ± [\d.]+ vs dense\)\s+([\d.]+) ±[\d.]+ \(Δ [+−][\d.]+ ± [\d.]+ vs dense\)$/m.exec(table.out);
  assert.ok(row, table.out);
  assert.equal(row[1], row[2]);
  assert.match(table.out, /^ppl measured on\s+2×256\s+2×256$/m);
  assert.match(table.out, /^ratio\s+25%\s+—$/m);
  assert.match(table.out, /^calibration\s+wikitext2 16×128 first\s+—$/m);
  // The slice's own column carries the perplexity its evaluation measured, with how and by which run.
  assert.match(table.out, new RegExp(`^ppl \\(newest evaluation\\)\\s+${ppl.result.ppl.toFixed(3)} \\(#${ppl.runId}: 2 × 256\\)\\s+—$`, 'm'));
  assert.equal(cli(data, 'runs', 'compare', '9999').err, 'slice-studio: no run with id 9999\n');
});
