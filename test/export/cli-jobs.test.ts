// `slice-studio export` and `verify-export` run as jobs: the export's artifact (path, bytes, sha256, format,
// runtime) lands in the store with the run, and the verification's numbers are recorded as metrics.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../../core/transports/cli/cli';
import { sha256Path } from '../../core/export/hash';
import { quietContext } from '../../core/base/job-context';
import { modelPath, tempDir } from './helpers';

const tmp = tempDir('cli');
after(tmp.cleanup);

async function cli(argv: string[]): Promise<{ code: number; lines: string[]; err: string[] }> {
  const lines: string[] = [];
  const err: string[] = [];
  const code = await runCli([...argv, '--data-dir', join(tmp.dir, 'data')], { out: (t) => lines.push(...t.trimEnd().split('\n')), err: (t) => err.push(t) });
  return { code, lines, err };
}

// --json prints one document (ids, status, result) for every job command.
const done = (lines: string[]) => JSON.parse(lines.join('\n'));

test('export then verify-export from the CLI: artifact and verification recorded with their runs', async () => {
  const out = join(tmp.dir, 'stories-onnx');
  const e = await cli(['export', modelPath('tiny-stories'), '--format', 'onnx', '--dtype', 'f16', '--out', out, '--json']);
  assert.equal(e.code, 0, e.err.join('\n'));
  const exported = done(e.lines);
  assert.equal(exported.result.path, out);
  assert.equal(exported.result.sha256, await sha256Path(out, quietContext()));

  const v = await cli(['verify-export', out, '--max-windows', '2', '--max-new-tokens', '12', '--ep', 'cpu', '--json']);
  assert.equal(v.code, 0, v.err.join('\n'));
  // The app's side runs where --ep says; an EP that does not exist is one line before any work.
  const bad = await cli(['verify-export', out, '--ep', 'tpu']);
  assert.notEqual(bad.code, 0);
  assert.equal(bad.err.filter((l) => l.trim()).length, 1, bad.err.join('\n'));
  assert.match(bad.err.join('\n'), /ep/);
  const verified = done(v.lines);
  assert.ok(verified.result.comparison.pplRelativeDifference < 1e-2);

  const { SliceStudioService } = await import('../../core/api/service');
  const service = await SliceStudioService.create();
  try {
    const run = await service.getRun(exported.runId);
    assert.equal(run.kind, 'export');
    assert.equal(run.status, 'done');
    assert.equal(run.artifacts.length, 1);
    const a = run.artifacts[0];
    assert.equal(a.path, out);
    assert.equal(a.format, 'onnx:f16');
    assert.equal(a.bytes, exported.result.bytes);
    assert.equal(a.sha256, exported.result.sha256);
    assert.match(a.runtime ?? '', /onnxruntime/);
    const check = await service.getRun(verified.runId);
    assert.equal(check.kind, 'verify');
    const metric = (n: string) => check.metrics.find((m) => m.name === n)?.value;
    assert.equal(metric('greedy_identical'), 1);
    assert.ok(Math.abs(metric('ppl_export')! - metric('ppl_in_app')!) / metric('ppl_in_app')! < 1e-2);
  } finally {
    await service.close();
  }
});

test('export without --out writes into the data folder; verify-export of that q8_0 GGUF gives a PASS verdict', async () => {
  const e = await cli(['export', modelPath('tiny-stories'), '--format', 'gguf', '--dtype', 'q8_0', '--json']);
  assert.equal(e.code, 0, e.err.join('\n'));
  const path = done(e.lines).result.path;
  assert.equal(path, join(tmp.dir, 'data', 'exports', 'tiny-stories-gguf-q8_0.gguf'));

  const v = await cli(['verify-export', path, '--max-windows', '2', '--max-new-tokens', '12']);
  assert.equal(v.code, 0, v.err.join('\n'));
  assert.match(v.lines.at(-1)!, /^PASS: perplexity [\d.]+ % from the app's, within the 2\.00 % allowed for a q8_0 export; greedy tokens /);
  const { SliceStudioService } = await import('../../core/api/service');
  const service = await SliceStudioService.create();
  try {
    const [newest] = await service.listRuns({ limit: 1 });
    const run = await service.getRun(newest!.id);
    assert.equal(run.name, 'verify tiny-stories-gguf-q8_0.gguf');
    assert.equal(run.metrics.find((m) => m.name === 'verdict_pass')?.value, 1);
  } finally {
    await service.close();
  }
});
