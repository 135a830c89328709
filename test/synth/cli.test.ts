// `slice-studio synth` is a job like every other: it runs in a worker, its run (kind 'export') keeps the
// folder as an artifact, and `plan --json` on the result predicts the slice's cost. Bad input is one line.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../core/transports/cli/cli';
import { sharedData, sharedModel } from '../shared';
import { testOutputDir } from '../test-output';

const tinyLlama = sharedModel('tiny-llama');
let dir: string;
before(() => {
  dir = testOutputDir('synth-cli-');
});
after(() => rmSync(dir, { recursive: true, force: true }));

async function cli(argv: string[]): Promise<{ code: number; lines: string[]; err: string[] }> {
  const lines: string[] = [];
  const err: string[] = [];
  const code = await runCli([...argv, '--data-dir', join(dir, 'data')], { out: (t) => lines.push(...t.trimEnd().split('\n')), err: (t) => err.push(t) });
  return { code, lines, err };
}

test('synth from the CLI runs as a job and records the folder as the run\'s artifact; plan --json on it predicts the slice\'s time, RAM and disk', async () => {
  const config = join(dir, 'config.json');
  writeFileSync(config, readFileSync(join(tinyLlama, 'config.json')));
  const out = join(dir, 'tiny');
  const r = await cli(['synth', '--config', config, '--out', out, '--layers', '2', '--shard-gb', '0.004', '--seed', '5', '--tokenizer', tinyLlama, '--json']);
  assert.equal(r.code, 0, r.err.join('\n'));
  const done = JSON.parse(r.lines.join('\n'));
  assert.equal(done.result.shards, 2);
  assert.equal(done.result.layers, 2);
  const { SliceStudioService } = await import('../../core/api/service');
  const service = await SliceStudioService.create();
  try {
    const run = await service.getRun(done.runId);
    assert.equal(run.kind, 'export');
    assert.equal(run.artifacts[0].path, out);
    assert.equal(run.artifacts[0].format, 'safetensors:bf16');
  } finally {
    await service.close();
  }
  const p = await cli(['plan', out, '--ratio', '0.25', '--nsamples', '16', '--seqlen', '128', '--ep', 'cpu', '--json']);
  assert.equal(p.code, 0, p.err.join('\n'));
  const s = JSON.parse(p.lines.join('\n')).slicing;
  assert.equal(s.layers, 2);
  assert.ok(s.totalSeconds > 0 && s.peakRamBytes > 0 && s.disk.outputBytes > 0);
  assert.equal(s.peakVramBytes, null);
});

test('synth without --config, or with a config that is not JSON, fails with one line and no folder', async () => {
  const a = await cli(['synth', '--out', join(dir, 'x')]);
  assert.equal(a.code, 1);
  assert.match(a.err.join('\n'), /synth needs --config/);
  const bad = join(dir, 'bad.json');
  writeFileSync(bad, '{ not json');
  const b = await cli(['synth', '--config', bad, '--out', join(dir, 'y')]);
  assert.equal(b.code, 1);
  assert.equal(b.err.filter((l) => /cannot read .*bad\.json/.test(l)).length, 1, b.err.join('\n'));
});

test('synth of a config whose shapes are inconsistent (24 heads over a 4,096 width, 32 heads over 5 KV heads) fails with one line each and no folder', async () => {
  const llama7b = JSON.parse(readFileSync(sharedData('configs', 'llama-2-7b-hf.json'), 'utf8')) as Record<string, unknown>;
  for (const [patch, message] of [
    [{ num_attention_heads: 24, num_key_value_heads: 8 }, 'config.json: 24 attention heads do not divide the hidden size 4,096'],
    [{ num_key_value_heads: 5 }, 'config.json: 32 attention heads do not split into 5 KV heads'],
  ] as const) {
    const file = join(dir, `inconsistent-${patch.num_key_value_heads}.json`);
    writeFileSync(file, JSON.stringify({ ...llama7b, ...patch }));
    const out = join(dir, `never-${patch.num_key_value_heads}`);
    const r = await cli(['synth', '--config', file, '--out', out, '--layers', '1']);
    assert.equal(r.code, 1);
    assert.deepEqual(
      r.err.join('').trim().split('\n').filter((l) => l.includes('config.json')),
      [`slice-studio: ${message}`],
    );
    assert.equal(existsSync(out), false);
  }
});
