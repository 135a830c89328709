import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanStaleTemps, tempOwnerPid } from '../../core/files/stale-temps';
import { deadPid } from './dead-pid';

test('temporaries of dead writers are removed; those of live processes and other files are kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-stale-'));
  try {
    const dead = deadPid();
    const names = {
      gguf: `model.gguf.tmp-${dead}`,
      shard: `model-00002-of-00006.safetensors.tmp-${dead}`,
      folder: `.exp-onnx.tmp-${dead}-lx3k9a`,
      old: `.exp-onnx.tmp-${dead}-lx3k9a.old`,
      lock: `.out.lock.tmp-${dead}-0a1b2c3d4e5f`,
      live: `model.gguf.tmp-${process.pid}`,
      user: 'notes.tmp',
      model: 'model.gguf',
    };
    for (const [k, n] of Object.entries(names)) k === 'folder' || k === 'old' ? mkdirSync(join(dir, n)) : writeFileSync(join(dir, n), 'x');
    writeFileSync(join(dir, names.folder, 'model.onnx'), 'partial');
    const removed = cleanStaleTemps(dir).sort();
    assert.deepEqual(removed, [names.gguf, names.shard, names.folder, names.old, names.lock].sort());
    assert.deepEqual(readdirSync(dir).sort(), [names.live, names.user, names.model].sort());
    assert.deepEqual(cleanStaleTemps(join(dir, 'missing')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the owner PID is read from every temporary name our writers use', () => {
  assert.equal(tempOwnerPid('model.gguf.tmp-123'), 123);
  assert.equal(tempOwnerPid('.x.tmp-77-abc.old'), 77);
  assert.equal(tempOwnerPid('state.json.tmp'), null);
  assert.equal(tempOwnerPid('model.gguf'), null);
});
