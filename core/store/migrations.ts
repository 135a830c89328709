// Schema history. Migration i (0-based) takes a database from user_version i to i+1; the store applies the
// missing ones in order, each in its own transaction, so an old database upgrades in place and keeps its rows.
// Never edit a shipped migration: append a new one.
import type Database from 'better-sqlite3';

export type Migration = (db: Database.Database) => void;

export const MIGRATIONS: Migration[] = [
  // 1: models and their inspections, hardware snapshots, runs and their metrics.
  (db) =>
    db.exec(`
      CREATE TABLE models (
        id INTEGER PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        family TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('folder', 'config')),
        param_count INTEGER NOT NULL,
        config_json TEXT,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL
      );
      CREATE TABLE inspections (
        id INTEGER PRIMARY KEY,
        model_id INTEGER NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        inspected_at TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE TABLE hardware_snapshots (
        id INTEGER PRIMARY KEY,
        detected_at TEXT NOT NULL,
        chosen_ep TEXT NOT NULL,
        json TEXT NOT NULL
      );
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('slice', 'ppl', 'eval', 'bench', 'export', 'generate')),
        model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
        parent_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled')),
        fingerprint TEXT,
        settings_json TEXT NOT NULL DEFAULT '{}',
        result_json TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT
      );
      CREATE TABLE metrics (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        value REAL NOT NULL,
        unit TEXT,
        task TEXT,
        stderr REAL
      );
      CREATE INDEX metrics_run ON metrics(run_id);
      CREATE INDEX runs_fingerprint ON runs(fingerprint);
    `),
  // 2: per-layer slicing statistics, artifacts, phase timings; execution provider and peak memory per run.
  (db) =>
    db.exec(`
      ALTER TABLE runs ADD COLUMN ep TEXT;
      ALTER TABLE runs ADD COLUMN peak_rss INTEGER;
      CREATE TABLE layer_stats (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        layer INTEGER NOT NULL,
        phase TEXT NOT NULL,
        seconds REAL,
        kept_variance REAL,
        eigenvalues_json TEXT,
        dims_json TEXT
      );
      CREATE TABLE artifacts (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        path TEXT NOT NULL,
        kind TEXT NOT NULL,
        format TEXT NOT NULL,
        bytes INTEGER,
        sha256 TEXT,
        runtime TEXT,
        created_at TEXT NOT NULL
      );
      CREATE TABLE run_phases (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        phase TEXT NOT NULL,
        seconds REAL NOT NULL
      );
      CREATE INDEX layer_stats_run ON layer_stats(run_id);
      CREATE INDEX artifacts_run ON artifacts(run_id);
      CREATE INDEX run_phases_run ON run_phases(run_id);
      CREATE INDEX runs_model ON runs(model_id);
      CREATE INDEX runs_parent ON runs(parent_run_id);
    `),
  // 3: every perplexity carries its protocol (JSON: dataset, split, seqlen, windows, of). Existing ones get
  // it from their run: the windows/seqlen metrics recorded beside them and the run's dataset setting.
  (db) => {
    db.exec('ALTER TABLE metrics ADD COLUMN protocol_json TEXT');
    const rows = db
      .prepare(
        `SELECT m.id, m.run_id, r.settings_json,
           (SELECT value FROM metrics w WHERE w.run_id = m.run_id AND w.name = 'windows' AND w.task IS NULL) AS windows,
           (SELECT value FROM metrics s WHERE s.run_id = m.run_id AND s.name = 'seqlen' AND s.task IS NULL) AS seqlen
         FROM metrics m JOIN runs r ON r.id = m.run_id
         WHERE m.name IN ('ppl', 'ppl_export', 'ppl_in_app') AND m.task IS NULL`,
      )
      .all() as { id: number; settings_json: string; windows: number | null; seqlen: number | null }[];
    const set = db.prepare('UPDATE metrics SET protocol_json = ? WHERE id = ?');
    for (const r of rows) {
      if (r.windows === null) continue;
      let settings: Record<string, unknown> = {};
      try {
        settings = JSON.parse(r.settings_json) as Record<string, unknown>;
      } catch {
        // a run whose settings cannot be read keeps no protocol
      }
      const spec = typeof settings.dataset === 'string' ? settings.dataset : 'wikitext2';
      const wiki = /^wikitext2(?::(\w+))?$/.exec(spec);
      const seqlen = r.seqlen ?? (typeof settings.pplSeqlen === 'number' ? settings.pplSeqlen : 256);
      set.run(JSON.stringify({ dataset: wiki ? 'wikitext2' : spec, split: wiki ? (wiki[1] ?? 'test') : null, seqlen, windows: r.windows, of: null }), r.id);
    }
  },
  // 4: status 'interrupted' (a run whose process died), and the process that owns a queued or running run
  // (PID + start identity, see core/files/process-identity.ts) so start-up can tell the dead from the live.
  // SQLite cannot alter a CHECK constraint: the runs table is rebuilt (foreign keys are off meanwhile, so the
  // drop cascades nowhere; the rows that point at runs keep their ids).
  (db) =>
    db.exec(`
      CREATE TABLE runs_v4 (
        id INTEGER PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('slice', 'ppl', 'eval', 'bench', 'export', 'generate')),
        model_id INTEGER REFERENCES models(id) ON DELETE SET NULL,
        parent_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL,
        name TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
        fingerprint TEXT,
        settings_json TEXT NOT NULL DEFAULT '{}',
        result_json TEXT,
        error TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        ep TEXT,
        peak_rss INTEGER,
        owner_pid INTEGER,
        owner_start TEXT
      );
      INSERT INTO runs_v4 (id, kind, model_id, parent_run_id, name, status, fingerprint, settings_json, result_json, error, created_at, started_at, finished_at, ep, peak_rss)
        SELECT id, kind, model_id, parent_run_id, name, status, fingerprint, settings_json, result_json, error, created_at, started_at, finished_at, ep, peak_rss FROM runs;
      DROP TABLE runs;
      ALTER TABLE runs_v4 RENAME TO runs;
      CREATE INDEX runs_fingerprint ON runs(fingerprint);
      CREATE INDEX runs_model ON runs(model_id);
      CREATE INDEX runs_parent ON runs(parent_run_id);
      CREATE INDEX runs_status ON runs(status);
    `),
  // 5: run kinds of their own for verifications ('verify', recorded as 'export' before) and folder hashes
  // ('fingerprint', recorded as 'bench'). The runs table is rebuilt for its CHECK, as in 4, from its own
  // definition with the kind list widened; existing rows are told apart by the job their settings name, or
  // by their params where an early run did not name it.
  (db) => {
    const { sql } = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'runs'").get() as { sql: string };
    const kinds = "kind IN ('slice', 'ppl', 'eval', 'bench', 'export', 'generate')";
    if (!sql.includes(kinds)) throw new Error('migration 5: the runs table does not have the kinds of migration 4');
    const rebuilt = sql.replace(/^CREATE TABLE\s+"?runs"?/, 'CREATE TABLE runs_v5').replace(kinds, "kind IN ('slice', 'ppl', 'eval', 'bench', 'export', 'generate', 'verify', 'fingerprint')");
    // Its indexes go with the dropped table: made again from their own definitions too.
    const indexes = (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL").all() as { sql: string }[]).map((i) => i.sql);
    db.exec(`${rebuilt}; INSERT INTO runs_v5 SELECT * FROM runs; DROP TABLE runs; ALTER TABLE runs_v5 RENAME TO runs;`);
    for (const sqlOfIndex of indexes) db.exec(sqlOfIndex);
    // Unreadable settings stay what they were (json_extract would fail on them).
    const field = (key: string) => `CASE WHEN json_valid(settings_json) THEN json_extract(settings_json, '$.${key}') END`;
    db.exec(`
      UPDATE runs SET kind = 'verify' WHERE kind = 'export' AND (${field('job')} = 'verify-export'
        OR (${field('job')} IS NULL AND ${field('path')} IS NOT NULL AND ${field('format')} IS NULL AND ${field('config')} IS NULL));
      UPDATE runs SET kind = 'fingerprint' WHERE kind = 'bench' AND (${field('job')} = 'fingerprint'
        OR (${field('job')} IS NULL AND ${field('path')} IS NOT NULL AND ${field('model')} IS NULL));
    `);
  },
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring `db` to `target` (default: latest). Returns the version it started from. */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  if (from >= target) return from;
  // Table rebuilds must not cascade: foreign keys are off during migrations (the pragma is a no-op inside a
  // transaction, so it is set around them) and checked before each commit.
  const fk = db.pragma('foreign_keys', { simple: true }) as number;
  db.pragma('foreign_keys = OFF');
  try {
    for (let v = from; v < target; v++) {
      db.transaction(() => {
        MIGRATIONS[v](db);
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length) throw new Error(`migration ${v + 1} left ${broken.length} rows pointing at nothing`);
        db.pragma(`user_version = ${v + 1}`);
      })();
    }
  } finally {
    if (fk) db.pragma('foreign_keys = ON');
  }
  return from;
}
