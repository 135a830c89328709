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
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** Bring `db` to `target` (default: latest). Returns the version it started from. */
export function migrate(db: Database.Database, target = SCHEMA_VERSION): number {
  const from = db.pragma('user_version', { simple: true }) as number;
  for (let v = from; v < target; v++) {
    db.transaction(() => {
      MIGRATIONS[v](db);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
  return from;
}
