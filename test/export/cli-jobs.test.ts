// `slice-studio export` and `verify-export` run as jobs: the export's artifact (path, bytes, sha256, format,
// runtime) lands in the store with the run, and the verification's numbers are recorded as metrics.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { runCli } from '../../core/transports/cli/cli';
import { sha256Path } from '../../core/export/hash';
import { quietContext } from '../../core/jobs/context';
import { modelPath, tempDir } from './helpers';

const tmp = tempDir('cli');
after(tmp.cleanup);

async function cli(argv: string[]): Promise<{ code: number; lines: string[]; err: string[] }> {
  const lines: string[] = [];
  const err: string[] = [];
  const code = await runCli([...argv, '--data-dir', join(tmp.dir, 'data')], { out: (t) => lines.push(...t.trimEnd().split('\n')), err: (t) => err.push(t) });
  return { code, lines, err };
}

const done = (lines: string[]) => lines.map((l) => JSON.parse(l)).find((e) => e.type === 'done');

test('export then verify-export from the CLI: artifact and verification recorded with their runs', async () => {
  const out = join(tmp.dir, 'stories-onnx');
  const e = await cli(['export', modelPath('tiny-stories'), '--format', 'onnx', '--dtype', 'f16', '--out', out, '--json']);
  assert.equal(e.code, 0, e.err.join('\n'));
  const exported = done(e.lines);
  assert.equal(exported.result.path, out);
  assert.equal(exported.result.sha256, await sha256Path(out, quietContext()));

  const v = await cli(['verify-export', out, '--max-windows', '2', '--max-new-tokens', '12', '--json']);
  assert.equal(v.code, 0, v.err.join('\n'));
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
    const metric = (n: string) => check.metrics.find((m) => m.name === n)?.value;
    assert.equal(metric('greedy_identical'), 1);
    assert.ok(Math.abs(metric('ppl_export')! - metric('ppl_in_app')!) / metric('ppl_in_app')! < 1e-2);
  } finally {
    await service.close();
  }
});

test('export without --out writes into the data folder (<data>/exports/<model>-<format>-<dtype>), as slice does', async () => {
  const e = await cli(['export', modelPath('tiny-stories'), '--format', 'gguf', '--dtype', 'f16', '--json']);
  assert.equal(e.code, 0, e.err.join('\n'));
  assert.equal(done(e.lines).result.path, join(tmp.dir, 'data', 'exports', 'tiny-stories-gguf-f16.gguf'));
});
