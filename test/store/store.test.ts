import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store, StoreError } from '../../core/store/store';
import { SCHEMA_VERSION } from '../../core/store/migrations';
import { runFingerprint } from '../../core/store/fingerprint';
import { inspectModel } from '../../core/model/inspect';
import { detectHardware } from '../../core/hardware/detect';
import { SHARED as SHARED_DIR } from '../shared';

const SHARED = SHARED_DIR;
const tmp = () => mkdtempSync(join(tmpdir(), 'ss-store-'));

test('opening creates the database in WAL mode with foreign keys on, at the latest schema version', () => {
  const file = join(tmp(), 'sub', 'slice-studio.db');
  const s = Store.open(file);
  assert.equal(s.schemaVersion, SCHEMA_VERSION);
  s.close();
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
  db.close();
  assert.ok(existsSync(file));
});

test('the default file lives in the data directory (SLICE_STUDIO_DATA overrides it)', () => {
  const dir = tmp();
  const before = process.env.SLICE_STUDIO_DATA;
  process.env.SLICE_STUDIO_DATA = dir;
  try {
    const s = Store.open();
    assert.equal(s.file, join(dir, 'slice-studio.db'));
    s.close();
    assert.ok(existsSync(join(dir, 'slice-studio.db')));
  } finally {
    if (before === undefined) delete process.env.SLICE_STUDIO_DATA;
    else process.env.SLICE_STUDIO_DATA = before;
  }
});

test('inspections upsert their model by path; recent models come newest first', async () => {
  const s = Store.open(join(tmp(), 'db.sqlite'));
  const llama = await inspectModel(join(SHARED, 'models', 'tiny-llama'));
  const opt = await inspectModel(join(SHARED, 'models', 'tiny-opt'));
  const first = s.recordInspection(llama);
  assert.equal(first.model.paramCount, 5_048_576);
  assert.equal(first.model.family, 'llama');
  assert.equal((first.model.config as { hiddenSize: number }).hiddenSize, 256);
  await new Promise((r) => setTimeout(r, 5));
  s.recordInspection(opt);
  await new Promise((r) => setTimeout(r, 5));
  const again = s.recordInspection(llama);
  assert.equal(again.model.id, first.model.id);
  assert.equal(again.model.firstSeen, first.model.firstSeen);
  assert.notEqual(again.model.lastSeen, first.model.firstSeen);
  assert.deepEqual(
    s.recentModels(5).map((m) => m.name),
    ['tiny-llama', 'tiny-opt'],
  );
  assert.deepEqual(
    s.recentModels(1).map((m) => m.name),
    ['tiny-llama'],
  );
  assert.deepEqual(s.latestInspection(first.model.id), llama);
  s.close();
});

test('hardware snapshots round-trip', async () => {
  const s = Store.open(join(tmp(), 'db.sqlite'));
  const hw = await detectHardware({ dataDir: tmp(), probeProviders: false });
  const id = s.recordHardware(hw);
  assert.ok(id > 0);
  assert.deepEqual(s.latestHardware(), hw);
  s.close();
});

test('a run goes queued → running → done with metrics, layer stats, artifacts and phases', async () => {
  const s = Store.open(join(tmp(), 'db.sqlite'));
  const { model } = s.recordInspection(await inspectModel(join(SHARED, 'models', 'tiny-llama')));
  const settings = { sparsity: 0.25, calibration: { dataset: 'wikitext2', samples: 128, seqLen: 256 } };
  const fp = runFingerprint({ model: { path: model.path, params: model.paramCount }, data: 'wikitext2', settings });
  const dense = s.createRun({ kind: 'ppl', modelId: model.id, name: 'dense ppl' });
  const run = s.createRun({ kind: 'slice', modelId: model.id, parentRunId: dense.id, name: 'slice 25%', fingerprint: fp, settings });
  assert.equal(run.status, 'queued');
  assert.equal(s.startRun(run.id, 'cpu').status, 'running');
  s.addMetrics(run.id, [
    { name: 'ppl', value: 201.5, unit: 'perplexity', task: 'wikitext2' },
    { name: 'acc', value: 0.61, task: 'piqa', stderr: 0.011 },
  ]);
  const eig = Array.from({ length: 100 }, (_, k) => k); // ascending on purpose
  s.addLayerStat(run.id, { layer: 0, phase: 'pca', seconds: 0.5, keptVariance: 0.93, eigenvalues: eig, dims: { in: 256, out: 192 } });
  s.addArtifact(run.id, { path: '/tmp/out', kind: 'model', format: 'safetensors', bytes: 123, sha256: 'ab'.repeat(32), runtime: 'onnxruntime-node' });
  s.addPhase(run.id, 'calibrate', 1.25);
  const done = s.finishRun(run.id, { ppl: 201.5 }, { peakRss: 1_000_000 });
  assert.equal(done.status, 'done');
  assert.ok(done.finishedAt && done.startedAt);
  const d = s.getRun(run.id)!;
  assert.deepEqual(d.settings, settings);
  assert.deepEqual(d.result, { ppl: 201.5 });
  assert.equal(d.ep, 'cpu');
  assert.equal(d.peakRss, 1_000_000);
  assert.equal(d.parentRunId, dense.id);
  assert.deepEqual(
    d.metrics.map((m) => [m.name, m.value, m.task, m.stderr]),
    [
      ['ppl', 201.5, 'wikitext2', null],
      ['acc', 0.61, 'piqa', 0.011],
    ],
  );
  assert.equal(d.layers[0].eigenvalues!.length, 64);
  assert.equal(d.layers[0].eigenvalues![0], 99);
  assert.deepEqual(d.layers[0].dims, { in: 256, out: 192 });
  assert.equal(d.artifacts[0].format, 'safetensors');
  assert.deepEqual(
    d.phases.map((p) => [p.phase, p.seconds]),
    [['calibrate', 1.25]],
  );
  assert.equal(s.findDoneRun(fp)?.id, run.id);
  assert.equal(s.renameRun(run.id, 'renamed').name, 'renamed');
  assert.deepEqual(
    s.listRuns({ kind: 'slice' }).map((r) => r.id),
    [run.id],
  );
  assert.deepEqual(
    s.listRuns({ parentRunId: dense.id }).map((r) => r.id),
    [run.id],
  );
  assert.deepEqual(
    s.listRuns({ modelId: model.id }).map((r) => r.id),
    [run.id, dense.id],
  );
  assert.deepEqual(
    s.listRuns({ status: 'queued' }).map((r) => r.id),
    [dense.id],
  );
  const failed = s.failRun(dense.id, 'out of memory');
  assert.equal(failed.status, 'failed');
  assert.equal(failed.error, 'out of memory');
  assert.equal(s.failRun(s.createRun({ kind: 'eval' }).id, 'cancelled by user', 'cancelled').status, 'cancelled');
  s.close();
});

test('fingerprints ignore key order and change with any setting', () => {
  const a = runFingerprint({ model: 'm', data: 'd', settings: { a: 1, b: { c: 2, d: 3 } } });
  assert.equal(a, runFingerprint({ model: 'm', data: 'd', settings: { b: { d: 3, c: 2 }, a: 1 } }));
  assert.notEqual(a, runFingerprint({ model: 'm', data: 'd', settings: { a: 1, b: { c: 2, d: 4 } } }));
  assert.match(a, /^[0-9a-f]{64}$/);
});

test('deleting a run cascades to its rows and detaches runs derived from it', () => {
  const s = Store.open(join(tmp(), 'db.sqlite'));
  const base = s.createRun({ kind: 'slice' });
  const evalRun = s.createRun({ kind: 'eval', parentRunId: base.id });
  s.addMetric(base.id, { name: 'ppl', value: 10 });
  s.addLayerStat(base.id, { layer: 0, phase: 'rotate' });
  s.addArtifact(base.id, { path: 'x', kind: 'model', format: 'onnx' });
  s.addPhase(base.id, 'rotate', 1);
  assert.equal(s.deleteRun(base.id), true);
  assert.equal(s.getRun(base.id), null);
  assert.equal(s.deleteRun(base.id), false);
  assert.equal(s.getRun(evalRun.id)!.parentRunId, null);
  s.close();
  const db = new Database(s.file, { readonly: true });
  for (const t of ['metrics', 'layer_stats', 'artifacts', 'run_phases']) assert.equal((db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n, 0, t);
  db.close();
});

test('bad references and values are one-line StoreErrors', () => {
  const s = Store.open(join(tmp(), 'db.sqlite'));
  assert.throws(
    () => s.createRun({ kind: 'slice', parentRunId: 999 }),
    (e: Error) => e instanceof StoreError && /does not exist/.test(e.message),
  );
  assert.throws(() => s.addMetric(999, { name: 'x', value: 1 }), StoreError);
  assert.throws(() => s.updateRun(999, { name: 'x' }), /no run 999/);
  assert.throws(() => s.createRun({ kind: 'nope' as 'slice' }), /invalid kind or status/);
  s.close();
});
