import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sliceModel } from '../../core/slicegpt/slice-model';
import type { SliceOptions } from '../../core/slicegpt/slice-options';
import { quietContext } from '../../core/base/job-context';
import { modelPath } from './helpers';

test('slicing a read-only model folder writes owner-writable files, so slicing again into the folder works', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-modes-'));
  try {
    // A model as a shared cache or a read-only download has it: every file r--r--r--.
    const src = join(dir, 'tiny-llama');
    mkdirSync(src);
    for (const f of readdirSync(modelPath('tiny-llama'))) {
      copyFileSync(join(modelPath('tiny-llama'), f), join(src, f));
      chmodSync(join(src, f), 0o444);
    }
    const out = join(dir, 'out');
    const o: SliceOptions = { model: src, ratio: 0.25, cal: 'wikitext2', nsamples: 2, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, batchSize: 2 };
    const writable = () => {
      const files = readdirSync(out).filter((f) => !f.startsWith('.'));
      assert.ok(files.includes('config.json') && files.includes('tokenizer.json'), files.join(', '));
      // Root ignores modes, so the test asserts on them instead of waiting for an EACCES a normal user would get.
      for (const f of files) assert.equal(statSync(join(out, f)).mode & 0o200, 0o200, `${f} is not writable by its owner (mode ${(statSync(join(out, f)).mode & 0o777).toString(8)})`);
    };
    await sliceModel(quietContext(), o);
    writable();
    await sliceModel(quietContext(), { ...o, ratio: 0.5 });
    writable();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
