// The pipeline bench as it runs on the GPU machine, at a tiny shape on the CPU: a run cut short leaves its
// numbers (the report is rewritten after every phase), a second call continues it from a phase, and
// intermediates go as soon as no later phase reads them (so a 7B run fits the GPU machine's disk).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bench/pipeline';
import { noLongerNeeded, PHASES } from '../../bench/lib/pipeline-work';
import { sharedModel } from '../shared';

interface Report {
  complete: boolean;
  phases: { phase: string; seconds: number }[];
  disk: { after: string; workBytes: number; deleted: string[] }[];
  peakWorkBytes: number;
  prediction: { sliceSeconds: { measured: number } } | null;
}

test('an intermediate is released after the last phase that reads it, and never while a later phase still will', () => {
  const all = () => true;
  assert.deepEqual(noLongerNeeded('onnx', all), ['sliced', 'onnx']);
  assert.deepEqual(noLongerNeeded('uniform', all), ['model', 'sliced', 'onnx']);
  assert.ok(!noLongerNeeded('slice', all).includes('model'), 'the uniform slice still reads the dense model');
  assert.ok(noLongerNeeded('slice', (p) => p !== 'uniform').includes('model'), 'without the uniform slice the dense model goes after slice');
  assert.ok(!noLongerNeeded('gguf', all).includes('uniform'), 'verify compares the GGUF with the uniform slice');
  assert.deepEqual(noLongerNeeded('verify', all).sort(), ['gguf', 'model', 'onnx', 'sliced', 'uniform']);
  assert.equal(PHASES.length, 9);
});

test('pipeline bench: partial report after every phase, --from continues a cut-short run, intermediates deleted as soon as unused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bench-pipeline-test-'));
  const work = join(dir, 'work');
  const json = join(dir, 'report.json');
  const config = join(dir, 'tiny.json');
  const cfg = JSON.parse(readFileSync(join(sharedModel('tiny-llama'), 'config.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(config, JSON.stringify({ ...cfg, num_hidden_layers: 2 }));
  const common = [
    '--config',
    config,
    '--tokenizer',
    sharedModel('tiny-llama'),
    '--ep',
    'cpu',
    '--nsamples',
    '4',
    '--seqlen',
    '64',
    '--ppl-windows',
    '2',
    '--uniform-nsamples',
    '2',
    '--verify-windows',
    '1',
    '--verify-seqlen',
    '64',
    '--work',
    work,
    '--json',
    json,
  ];
  const log = console.log;
  console.log = () => {}; // the bench prints its JSON report on stdout
  try {
    // a run that stops after the per-layer slice's ppl (everything after it skipped) …
    await main([...common, '--skip', 'onnx,uniform,gguf,verify', '--keep']);
    const first = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assert.deepEqual(
      first.phases.map((p) => p.phase),
      ['synth', 'inspect', 'plan', 'slice', 'ppl'],
    );
    assert.ok(existsSync(join(work, 'synth')) && existsSync(join(work, 'sliced')), '--keep keeps the outputs');
    // … continued from the ONNX export by a second call: earlier phases' numbers come from the report file
    await main([...common, '--from', 'onnx']);
    const r = JSON.parse(readFileSync(json, 'utf8')) as Report;
    assert.equal(r.complete, true);
    assert.deepEqual(
      r.phases.map((p) => p.phase),
      [...PHASES],
    );
    assert.ok(r.prediction && r.prediction.sliceSeconds.measured > 0);
    const after = (p: string) => r.disk.find((d) => d.after === p)!;
    assert.deepEqual(after('onnx').deleted, ['sliced', 'onnx']);
    assert.deepEqual(after('uniform').deleted, ['model']);
    assert.deepEqual(after('verify').deleted.sort(), ['gguf', 'uniform']);
    assert.ok(r.peakWorkBytes >= after('onnx').workBytes && after('onnx').workBytes > after('uniform').workBytes);
    for (const a of ['synth', 'sliced', 'onnx-f16', 'uniform', 'uniform-q8_0.gguf']) assert.ok(!existsSync(join(work, a)), `${a} deleted`);
  } finally {
    console.log = log;
    rmSync(dir, { recursive: true, force: true });
  }
});
