import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../core/store/store';
import { migrate, SCHEMA_VERSION } from '../../core/store/migrations';
import { currentOwner } from '../../core/files/process-identity';

const made: string[] = [];
const tmp = () => {
  made.push(mkdtempSync(join(tmpdir(), 'ss-interrupted-')));
  return made.at(-1)!;
};
after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
const root = join(import.meta.dirname, '../..');

/** A separate process creates a running run and a queued one in `file`, then is SIGKILLed. */
function killedWriter(file: string): { running: number; queued: number; pid: number } {
  const code = `
    import { Store } from './core/store/store.ts';
    const s = Store.open(${JSON.stringify(file)});
    const running = s.createRun({ kind: 'slice', name: 'killed slice', status: 'running', settings: { model: '/m', out: '/o' } }).id;
    const queued = s.createRun({ kind: 'ppl', name: 'killed queue' }).id;
    process.stdout.write(JSON.stringify({ running, queued, pid: process.pid }) + '\\n', () => process.kill(process.pid, 'SIGKILL'));
    setInterval(() => {}, 1000);
  `;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, encoding: 'utf8' });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { running: number; queued: number; pid: number };
}

test('runs of a process killed with -9 become interrupted when the store is next opened; runs of live processes do not', () => {
  const file = join(tmp(), 'store.db');
  const mine = Store.open(file);
  const ours = mine.createRun({ kind: 'ppl', name: 'ours', status: 'running' });
  assert.equal(ours.ownerPid, process.pid);
  assert.equal(ours.ownerStart, currentOwner().start);
  const dead = killedWriter(file);
  const reopened = Store.open(file);
  const running = reopened.getRun(dead.running)!;
  assert.equal(running.status, 'interrupted');
  assert.equal(running.ownerPid, dead.pid);
  assert.match(running.error!, new RegExp(`^interrupted: the process \\(PID ${dead.pid}\\) that ran it stopped$`));
  assert.ok(running.finishedAt);
  assert.equal(reopened.getRun(dead.queued)!.status, 'interrupted');
  assert.equal(reopened.getRun(ours.id)!.status, 'running', 'this process is alive: its run stays running');
  assert.deepEqual(
    reopened
      .listRuns({ status: 'interrupted' })
      .map((r) => r.id)
      .sort(),
    [dead.running, dead.queued].sort(),
  );
  reopened.close();
  mine.close();
});

test('a run whose PID was reused by another process (different start time) counts as interrupted', () => {
  const file = join(tmp(), 'store.db');
  const s = Store.open(file);
  // This very PID, but a process that started at another time (or before a reboot): not the owner.
  const reused = s.createRun({ kind: 'slice', name: 'pid reused', status: 'running', ownerPid: process.pid, ownerStart: 'another-boot/12345' });
  const gone = s.createRun({ kind: 'slice', name: 'pid gone', status: 'running', ownerPid: 2 ** 22 + 17, ownerStart: null });
  assert.deepEqual(
    s
      .recoverInterrupted()
      .map((r) => r.id)
      .sort(),
    [reused.id, gone.id].sort(),
  );
  assert.equal(s.getRun(reused.id)!.status, 'interrupted');
  s.close();
});

test('a version-2 database upgrades to owners and the interrupted status; its stuck running runs become interrupted, rows kept', () => {
  const file = join(tmp(), 'v2.db');
  const old = new Database(file);
  old.pragma('foreign_keys = ON');
  migrate(old, 2);
  const t = '2025-01-01T00:00:00.000Z';
  old.prepare("INSERT INTO runs (kind, name, status, created_at, ep) VALUES ('slice', 'stuck', 'running', ?, 'cpu')").run(t);
  old.prepare("INSERT INTO runs (kind, name, status, created_at, parent_run_id) VALUES ('ppl', 'child', 'done', ?, 1)").run(t);
  old.prepare("INSERT INTO metrics (run_id, name, value) VALUES (1, 'd', 192)").run();
  old.prepare("INSERT INTO run_phases (run_id, phase, seconds) VALUES (1, 'pca', 1.5)").run();
  old.close();

  const s = Store.open(file);
  assert.equal(s.schemaVersion, SCHEMA_VERSION);
  const stuck = s.getRun(1)!;
  assert.equal(stuck.status, 'interrupted');
  assert.equal(stuck.ep, 'cpu');
  assert.deepEqual(
    stuck.metrics.map((m) => m.value),
    [192],
  );
  assert.deepEqual(
    stuck.phases.map((p) => p.phase),
    ['pca'],
  );
  assert.equal(s.getRun(2)!.parentRunId, 1);
  // Foreign keys still cascade after the rebuild.
  s.deleteRun(1);
  assert.equal(s.getRun(2)!.parentRunId, null);
  s.close();
});
