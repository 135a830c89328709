// Exports and the disk: the free-space check says what it needs including its margin, and temporaries
// of killed exports are removed by the next export into the same folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportGguf } from '../../core/export/gguf/index';
import { exportModel } from '../../core/export/index';
import { quietContext } from '../../core/base/job-context';
import { mountTmpfs, tmpfsSkip } from '../files/tmpfs';
import { deadPid } from '../files/dead-pid';
import { modelPath } from './helpers';

const model = modelPath('tiny-llama');

test('the GGUF free-space check states what it needs, margin included, and what is free', { skip: tmpfsSkip }, async () => {
  const fs = mountTmpfs(16 << 20);
  try {
    const err = await exportGguf(quietContext(), { model, dtype: 'q8_0', out: join(fs.dir, 'x.gguf') }).then(
      () => assert.fail('a 16 MiB disk cannot take the 64 MiB margin'),
      (e: Error) => e,
    );
    const m = /^not enough free disk space in (\S+): the GGUF needs ([\d.]+) MiB \(the file's ([\d.]+) MiB plus a ([\d.]+) MiB safety margin\), ([\d.]+) MiB are free$/.exec(err.message);
    assert.ok(m, err.message);
    const [need, file, margin, free] = [m[2], m[3], m[4], m[5]].map(Number);
    assert.equal(m[1], fs.dir);
    assert.ok(Math.abs(file + margin - need) <= 0.11, `${file} + ${margin} ≠ ${need}`);
    assert.ok(need > free && free <= 16);
    assert.ok(margin >= 64);
    assert.deepEqual(readdirSync(fs.dir), []);
  } finally {
    fs.unmount();
  }
});

test('an export removes the temporaries that killed exports left in its folder (dead PID only)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-stale-export-'));
  try {
    const dead = deadPid();
    // What kill -9 leaves: a GGUF writer's temp file, an atomic folder export's temp folder and its .old.
    writeFileSync(join(dir, `m.gguf.tmp-${dead}`), Buffer.alloc(1 << 20));
    mkdirSync(join(dir, `.st.tmp-${dead}-k2j4`));
    writeFileSync(join(dir, `.st.tmp-${dead}-k2j4`, 'model.safetensors'), 'partial');
    const live = join(dir, `other.gguf.tmp-${process.pid}`);
    writeFileSync(live, 'a live export of this process');
    await exportGguf(quietContext(), { model, dtype: 'q8_0', out: join(dir, 'm.gguf') });
    assert.ok(!existsSync(join(dir, `m.gguf.tmp-${dead}`)));
    await exportModel(quietContext(), { model, format: 'onnx', dtype: 'f16', out: join(dir, 'st') });
    assert.ok(!existsSync(join(dir, `.st.tmp-${dead}-k2j4`)));
    assert.ok(existsSync(live), 'a temporary of a live process was removed');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes('.tmp')),
      [`other.gguf.tmp-${process.pid}`],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
