import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import Database from 'better-sqlite3';
import { Store, StoreError } from '../../core/store/store';
import { migrate, SCHEMA_VERSION } from '../../core/store/migrations';

const tmp = () => mkdtempSync(join(tmpdir(), 'ss-migr-'));

test('a version-1 database written by an older app upgrades in place and keeps its rows', () => {
  const file = join(tmp(), 'old.db');
  const old = new Database(file);
  old.pragma('foreign_keys = ON');
  migrate(old, 1);
  assert.equal(old.pragma('user_version', { simple: true }), 1);
  const t = '2024-01-01T00:00:00.000Z';
  old.prepare("INSERT INTO models (path, name, family, kind, param_count, first_seen, last_seen) VALUES ('/m', 'm', 'llama', 'folder', 42, ?, ?)").run(t, t);
  old.prepare("INSERT INTO runs (kind, model_id, name, status, created_at) VALUES ('ppl', 1, 'old run', 'done', ?)").run(t);
  old.prepare("INSERT INTO metrics (run_id, name, value) VALUES (1, 'ppl', 12.5)").run();
  old.close();

  const s = Store.open(file);
  assert.equal(s.schemaVersion, SCHEMA_VERSION);
  const run = s.getRun(1)!;
  assert.equal(run.name, 'old run');
  assert.equal(run.ep, null); // column added by migration 2
  assert.deepEqual(
    run.metrics.map((m) => m.value),
    [12.5],
  );
  assert.equal(s.recentModels()[0].paramCount, 42);
  s.addLayerStat(1, { layer: 0, phase: 'pca', keptVariance: 0.9 }); // table added by migration 2
  assert.equal(s.getRun(1)!.layers.length, 1);
  s.close();
});

test('a version-2 database upgrades with each perplexity given its protocol from its run (windows, seqlen, dataset)', () => {
  const file = join(tmp(), 'v2.db');
  const old = new Database(file);
  migrate(old, 2);
  const t = '2024-01-01T00:00:00.000Z';
  const run = (kind: string, settings: object) => Number(old.prepare("INSERT INTO runs (kind, name, status, settings_json, created_at) VALUES (?, 'r', 'done', ?, ?)").run(kind, JSON.stringify(settings), t).lastInsertRowid);
  const metric = (id: number, name: string, value: number) => old.prepare('INSERT INTO metrics (run_id, name, value) VALUES (?, ?, ?)').run(id, name, value);
  const ppl = run('ppl', { dataset: 'wikitext2' });
  metric(ppl, 'ppl', 201.7);
  metric(ppl, 'windows', 16);
  metric(ppl, 'seqlen', 256);
  const verify = run('export', { path: '/x' });
  metric(verify, 'ppl_export', 186.5);
  metric(verify, 'windows', 4);
  const bare = run('ppl', {});
  metric(bare, 'ppl', 12.5);
  old.close();

  const s = Store.open(file);
  assert.deepEqual(s.getRun(ppl)!.metrics.find((m) => m.name === 'ppl')!.protocol, { dataset: 'wikitext2', split: 'test', seqlen: 256, windows: 16, of: null });
  assert.deepEqual(s.getRun(verify)!.metrics.find((m) => m.name === 'ppl_export')!.protocol, {
    dataset: 'wikitext2',
    split: 'test',
    seqlen: 256,
    windows: 4,
    of: null,
  });
  // Without a recorded window count the protocol is unknown, and stays so.
  assert.equal(s.getRun(bare)!.metrics[0].protocol, null);
  assert.equal(s.getRun(ppl)!.metrics.find((m) => m.name === 'windows')!.protocol, null);
  s.close();
});

test('a version-4 database upgrades with verify and fingerprint runs given their own kinds, everything else kept', () => {
  const file = join(tmp(), 'v4.db');
  const old = new Database(file);
  migrate(old, 4);
  const t = '2024-01-01T00:00:00.000Z';
  const run = (kind: string, settings: object | string) =>
    Number(old.prepare("INSERT INTO runs (kind, name, status, settings_json, created_at, owner_pid) VALUES (?, 'r', 'done', ?, ?, 7)").run(kind, typeof settings === 'string' ? settings : JSON.stringify(settings), t).lastInsertRowid);
  const verify = run('export', { job: 'verify-export', path: '/e/onnx', maxWindows: 4 });
  const fingerprint = run('bench', { job: 'fingerprint', path: '/m', modelPath: '/m' });
  // Early runs did not name their job: told apart by their params.
  const oldVerify = run('export', { path: '/e/x.gguf', source: '/s' });
  const oldFingerprint = run('bench', { path: '/m' });
  const exported = run('export', { job: 'export', model: '/s', format: 'onnx', out: '/e/onnx' });
  const synth = run('export', { job: 'synth', config: '/c.json', out: '/o' });
  const bench = run('bench', { job: 'bench', model: '/m', batch: 8 });
  const unreadable = run('export', '{not json');
  old.prepare("INSERT INTO metrics (run_id, name, value) VALUES (?, 'ppl_export', 186.5)").run(verify);
  old.close();

  const s = Store.open(file);
  const kinds = Object.fromEntries([verify, fingerprint, oldVerify, oldFingerprint, exported, synth, bench].map((id) => [id, s.getRun(id)!.kind]));
  assert.deepEqual(kinds, {
    [verify]: 'verify',
    [fingerprint]: 'fingerprint',
    [oldVerify]: 'verify',
    [oldFingerprint]: 'fingerprint',
    [exported]: 'export',
    [synth]: 'export',
    [bench]: 'bench',
  });
  const v = s.getRun(verify)!;
  assert.deepEqual([v.settings.path, v.ownerPid, v.metrics[0].value], ['/e/onnx', 7, 186.5]);
  assert.deepEqual(
    s
      .listRuns({ kind: 'verify' })
      .map((r) => r.id)
      .sort(),
    [verify, oldVerify].sort(),
  );
  s.createRun({ kind: 'fingerprint', name: 'new' });
  s.close();
  // Settings that are not JSON keep their run as it was (the migration does not fail on them).
  const raw = new Database(file, { readonly: true });
  assert.equal((raw.prepare('SELECT kind FROM runs WHERE id = ?').get(unreadable) as { kind: string }).kind, 'export');
  // The rebuilt table keeps its indexes.
  const indexes = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL ORDER BY name").all() as { name: string }[]).map((i) => i.name);
  assert.deepEqual(indexes, ['runs_fingerprint', 'runs_model', 'runs_parent', 'runs_status']);
  raw.close();
});

test('a database from a newer app is refused with a clear message', () => {
  const file = join(tmp(), 'new.db');
  const db = new Database(file);
  db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
  db.close();
  assert.throws(
    () => Store.open(file),
    (e: Error) => e instanceof StoreError && /newer than this Slice Studio/.test(e.message),
  );
});

test('in WAL mode a reader sees the last commit while a writer holds an open transaction', () => {
  const file = join(tmp(), 'wal.db');
  const writer = Store.open(file);
  const reader = Store.open(file);
  writer.createRun({ kind: 'ppl', name: 'committed' });
  writer.transaction(() => {
    writer.createRun({ kind: 'ppl', name: 'pending' });
    // Not blocked (no SQLITE_BUSY) and not dirty: the reader's snapshot excludes the open transaction.
    assert.deepEqual(
      reader.listRuns().map((r) => r.name),
      ['committed'],
    );
  });
  assert.deepEqual(
    reader.listRuns().map((r) => r.name),
    ['pending', 'committed'],
  );
  writer.close();
  reader.close();
});

test('another process writing runs does not block or break a reader polling the same file', async () => {
  const file = join(tmp(), 'proc.db');
  const reader = Store.open(file); // creates the schema
  const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
  const child = spawn(process.execPath, [
    '-e',
    `
    const Database = require(${JSON.stringify(sqlite)});
    const db = new Database(${JSON.stringify(file)});
    db.pragma('busy_timeout = 5000');
    const ins = db.prepare("INSERT INTO runs (kind, name, status, created_at) VALUES ('bench', ?, 'done', ?)");
    for (let i = 0; i < 300; i++) db.transaction(() => { ins.run('r' + i, new Date().toISOString()); })();
    db.close();
  `,
  ]);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const seen: number[] = [];
  let running = true;
  void exited.then(() => (running = false));
  while (running) {
    seen.push(reader.listRuns({ limit: 1000 }).length);
    await new Promise((r) => setTimeout(r, 2));
  }
  assert.equal(await exited, 0, stderr);
  seen.push(reader.listRuns({ limit: 1000 }).length);
  assert.equal(seen.at(-1), 300);
  for (let k = 1; k < seen.length; k++) assert.ok(seen[k] >= seen[k - 1], 'counts never go backwards');
  reader.close();
});
