import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderInUseError, lockFileFor, lockFolder } from '../../core/files/folder-lock';
import { deadPid } from './dead-pid';

const root = join(import.meta.dirname, '../..');

test('a locked output is refused to a second job with the run that holds it; released, it can be taken again', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-lock-'));
  try {
    const out = join(dir, 'sliced');
    const a = lockFolder(out, 7);
    assert.throws(
      () => lockFolder(out, 8),
      (e: Error) => e instanceof FolderInUseError && e.message === `${out} is in use by run 7 (process ${process.pid}): wait for it, cancel it, or choose another output`,
    );
    a.release();
    assert.ok(!existsSync(lockFileFor(out)));
    const b = lockFolder(out, 8);
    b.release();
    // Only the lock file and nothing else was ever written beside the output.
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock left by a killed process (dead PID) or half-written is stale and taken over', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-lock-'));
  try {
    const out = join(dir, 'sliced');
    writeFileSync(lockFileFor(out), JSON.stringify({ pid: deadPid(), start: null, runId: 3, token: 'old' }));
    lockFolder(out, 4).release();
    writeFileSync(lockFileFor(out), '');
    lockFolder(out, 5).release();
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lock held by another live process is respected until that process is killed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-lock-'));
  const out = join(dir, 'export.gguf');
  const code = `import { lockFolder } from './core/files/folder-lock.ts'; lockFolder(${JSON.stringify(out)}, 12); process.stdout.write('locked\\n'); setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => child.stdout.on('data', (d) => String(d).includes('locked') && resolve()));
    assert.throws(() => lockFolder(out, 13), new RegExp(`is in use by run 12 \\(process ${child.pid}\\)`));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    lockFolder(out, 13).release();
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
