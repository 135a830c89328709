// A model whose weights hold NaN: every engine command fails with one line naming the tensor, exits
// non-zero, and leaves a failed run in the store (before: ppl printed "perplexity —" and exited 0).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, openSync, closeSync, writeSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsHeader } from '../../core/model/safetensors';
import { findNonFiniteTensor } from '../../core/model/non-finite';
import { Store } from '../../core/store/store';
import { cli, models } from '../transports/cli-helpers';

const POISONED = 'model.layers.1.mlp.down_proj.weight';
let dir: string;
let bad: string;
let data: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-nan-'));
  bad = join(dir, 'tiny-llama-nan');
  data = join(dir, 'data');
  cpSync(join(models, 'tiny-llama'), bad, { recursive: true });
  const file = join(bad, 'model.safetensors');
  const t = (await readSafetensorsHeader(file)).tensors.find((x) => x.name === POISONED)!;
  assert.equal(t.dtype, 'F16');
  // Three float16 NaNs (0x7e00) in the middle of the tensor.
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([0x00, 0x7e, 0x00, 0x7e, 0x00, 0x7e]), 0, 6, t.offset + 200);
  closeSync(fd);
});
after(() => rmSync(dir, { recursive: true, force: true }));

function lastRun(kind: string) {
  const store = Store.open(join(data, 'slice-studio.db'));
  try {
    const [r] = store.listRuns({ kind: kind as 'ppl', limit: 1 });
    return r;
  } finally {
    store.close();
  }
}

test('findNonFiniteTensor names the poisoned tensor and counts its NaNs; the clean model has none', async () => {
  assert.deepEqual(await findNonFiniteTensor(bad), { name: POISONED, count: 3, size: 256 * 704 });
  assert.equal(await findNonFiniteTensor(join(models, 'tiny-llama')), null);
});

test('inspect warns that the poisoned tensor holds NaN (small models have every weight checked)', () => {
  const r = cli(data, 'inspect', bad);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`Warning\\s+tensor ${POISONED.replace(/\./g, '\\.')} holds 3 NaN/Inf values of 180224: every job on this model will fail`));
  assert.doesNotMatch(cli(data, 'inspect', join(models, 'tiny-llama')).out, /NaN/);
});

for (const [kind, args] of [
  ['ppl', ['--max-windows', '2']],
  ['generate', ['--prompt', 'The', '--max-new-tokens', '4']],
  ['eval', ['--tasks', 'piqa', '--limit', '2']],
  ['slice', ['--ratio', '0.25', '--cal', 'wikitext2', '--nsamples', '2', '--seqlen', '64', '--sampling', 'first']],
] as const) {
  test(`NaN weights: ${kind} exits non-zero with one line naming the tensor and records a failed run`, () => {
    const out = join(dir, `out-${kind}`);
    const r = cli(data, kind, bad, ...args, ...(kind === 'slice' ? ['--out', out] : []));
    assert.notEqual(r.code, 0, r.out);
    const lines = r.err
      .trim()
      .split('\n')
      .filter((l) => !/^\s*\d+%|^\s*(load|tokenize|ppl|generate)/.test(l));
    const line = lines[lines.length - 1];
    assert.match(line, new RegExp(`non-finite weights: tensor ${POISONED.replace(/\./g, '\\.')} holds 3 NaN/Inf values`), r.err);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    const run = lastRun(kind === 'generate' ? 'generate' : kind);
    assert.equal(run.status, 'failed');
    assert.match(run.error ?? '', /non-finite weights/);
  });
}
