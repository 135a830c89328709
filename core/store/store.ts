// The local SQLite store (better-sqlite3): models seen, their inspections, hardware snapshots, and every run
// with its metrics, per-layer statistics, artifacts and phase timings. WAL lets the UI read while a job
// writes; foreign keys make deleting a run delete what belongs to it.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { dataDir } from '../base/paths';
import type { ModelInspection } from '../model/inspect';
import type { HardwareReport, TrainRate } from '../hardware/types';
import { migrate, SCHEMA_VERSION } from './migrations';
import { currentOwner, isOwnerAlive } from '../files/process-identity';
import type { ArtifactInput, ArtifactRow, CreateRunInput, LayerStatInput, LayerStatRow, MetricInput, MetricRow, ModelRow, PhaseRow, RunDetail, RunFilter, RunPatch, RunRow, RunStatus } from './types';

export class StoreError extends Error {
  override name = 'StoreError';
}

const now = () => new Date().toISOString();
const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));
const parse = <T>(s: string | null): T | null => (s === null ? null : (JSON.parse(s) as T));

type Row = Record<string, unknown>;

function toModel(r: Row): ModelRow {
  return {
    id: r.id as number,
    path: r.path as string,
    name: r.name as string,
    family: r.family as string,
    kind: r.kind as ModelRow['kind'],
    paramCount: r.param_count as number,
    config: parse(r.config_json as string | null),
    firstSeen: r.first_seen as string,
    lastSeen: r.last_seen as string,
  };
}

function toRun(r: Row): RunRow {
  return {
    id: r.id as number,
    kind: r.kind as RunRow['kind'],
    modelId: r.model_id as number | null,
    parentRunId: r.parent_run_id as number | null,
    name: r.name as string,
    status: r.status as RunStatus,
    fingerprint: r.fingerprint as string | null,
    settings: parse(r.settings_json as string) ?? {},
    result: parse(r.result_json as string | null),
    error: r.error as string | null,
    createdAt: r.created_at as string,
    startedAt: r.started_at as string | null,
    finishedAt: r.finished_at as string | null,
    ep: r.ep as string | null,
    peakRss: r.peak_rss as number | null,
    ownerPid: (r.owner_pid as number | null) ?? null,
    ownerStart: (r.owner_start as string | null) ?? null,
  };
}

const RUN_COLUMNS: Record<keyof RunPatch, string> = {
  name: 'name',
  modelId: 'model_id',
  parentRunId: 'parent_run_id',
  status: 'status',
  fingerprint: 'fingerprint',
  settings: 'settings_json',
  result: 'result_json',
  error: 'error',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  ep: 'ep',
  peakRss: 'peak_rss',
  ownerPid: 'owner_pid',
  ownerStart: 'owner_start',
};

export class Store {
  readonly #db: Database.Database;
  readonly file: string;

  private constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.file = file;
  }

  /** Open (creating if needed) and migrate. Default file: `<dataDir>/slice-studio.db`. */
  static open(file: string = join(dataDir(), 'slice-studio.db')): Store {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file);
    } catch (e) {
      throw new StoreError(`cannot open database ${file}: ${(e as Error).message}`);
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new StoreError(`database ${file} has schema version ${version}, newer than this Slice Studio understands (${SCHEMA_VERSION}); update the app`);
      migrate(db);
    } catch (e) {
      db.close();
      if (e instanceof StoreError) throw e;
      throw new StoreError(`database ${file} could not be opened: ${(e as Error).message}`);
    }
    const store = new Store(db, file);
    // Start-up is when runs of a process that died (kill -9, a crash, power loss) are found: they would
    // otherwise say "running" forever. A read-only or full disk must not stop the app from opening.
    try {
      store.recoverInterrupted();
    } catch {
      /* retried at the next start */
    }
    return store;
  }

  /** Queued and running runs whose owning process is alive (this one's jobs and another process's, e.g. a CLI slice), oldest first. */
  liveRuns(): RunRow[] {
    const rows = (this.#db.prepare("SELECT * FROM runs WHERE status IN ('queued', 'running') ORDER BY id").all() as Row[]).map(toRun);
    return rows.filter((r) => isOwnerAlive({ pid: r.ownerPid, start: r.ownerStart }));
  }

  /** The highest run id so far (0 for none): a run created later, by any process, has a higher one. */
  lastRunId(): number {
    return (this.#db.prepare('SELECT COALESCE(MAX(id), 0) AS id FROM runs').get() as { id: number }).id;
  }

  /**
   * Marks queued and running runs whose owning process is gone as `interrupted` (a slice among them can be
   * resumed from its checkpoint). Runs recorded before owners were (no PID) count as gone. Returns them.
   */
  recoverInterrupted(): RunRow[] {
    const live = (this.#db.prepare("SELECT * FROM runs WHERE status IN ('queued', 'running')").all() as Row[]).map(toRun);
    const dead = live.filter((r) => !isOwnerAlive({ pid: r.ownerPid, start: r.ownerStart }));
    const mark = this.#db.prepare("UPDATE runs SET status = 'interrupted', error = ?, finished_at = ? WHERE id = ? AND status IN ('queued', 'running') RETURNING *");
    return this.transaction(() => dead.map((r) => toRun(mark.get(`interrupted: the process ${r.ownerPid !== null ? `(PID ${r.ownerPid}) ` : ''}that ran it stopped`, now(), r.id) as Row)));
  }

  close(): void {
    this.#db.close();
  }

  get schemaVersion(): number {
    return this.#db.pragma('user_version', { simple: true }) as number;
  }

  /** Run `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.#db.transaction(fn)();
  }

  // ── models and snapshots ────────────────────────────────────────────────

  /** Upsert the model by path and keep the full inspection. */
  recordInspection(i: ModelInspection): { model: ModelRow; inspectionId: number } {
    return this.transaction(() => {
      const t = now();
      const model = this.#db
        .prepare(
          `INSERT INTO models (path, name, family, kind, param_count, config_json, first_seen, last_seen)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(path) DO UPDATE SET name = excluded.name, family = excluded.family, kind = excluded.kind,
             param_count = excluded.param_count, config_json = excluded.config_json, last_seen = excluded.last_seen
           RETURNING *`,
        )
        .get(i.path, i.name, i.family, i.kind, i.parameterCount, json(i.config), t, t) as Row;
      const r = this.#db.prepare('INSERT INTO inspections (model_id, inspected_at, json) VALUES (?, ?, ?)').run(model.id, t, JSON.stringify(i));
      return { model: toModel(model), inspectionId: Number(r.lastInsertRowid) };
    });
  }

  latestInspection(modelId: number): ModelInspection | null {
    const r = this.#db.prepare('SELECT json FROM inspections WHERE model_id = ? ORDER BY id DESC LIMIT 1').get(modelId) as Row | undefined;
    return r ? (JSON.parse(r.json as string) as ModelInspection) : null;
  }

  recordHardware(r: HardwareReport): number {
    const res = this.#db.prepare('INSERT INTO hardware_snapshots (detected_at, chosen_ep, json) VALUES (?, ?, ?)').run(r.detectedAt, r.chosenProvider.ep, JSON.stringify(r));
    return Number(res.lastInsertRowid);
  }

  latestHardware(): HardwareReport | null {
    const r = this.#db.prepare('SELECT json FROM hardware_snapshots ORDER BY id DESC LIMIT 1').get() as Row | undefined;
    return r ? (JSON.parse(r.json as string) as HardwareReport) : null;
  }

  /** Stores this machine's measured training rate (recover/rate-probe.ts) with hardware snapshot `id` (its `trainRate`). */
  setHardwareTrainRate(id: number, rate: TrainRate): void {
    const r = this.#db.prepare("UPDATE hardware_snapshots SET json = json_set(json, '$.trainRate', json(?)) WHERE id = ?").run(JSON.stringify(rate), id);
    if (r.changes === 0) throw new StoreError(`no hardware snapshot ${id}`);
  }

  /** The newest training rate stored with a snapshot of this machine (same CPU model, core count and platform), or null. */
  hardwareTrainRate(machine: Pick<HardwareReport, 'cpu' | 'platform'>): TrainRate | null {
    const rows = this.#db.prepare("SELECT json FROM hardware_snapshots WHERE json_extract(json, '$.trainRate') IS NOT NULL ORDER BY id DESC").iterate() as IterableIterator<Row>;
    for (const r of rows) {
      const h = JSON.parse(r.json as string) as HardwareReport;
      if (h.trainRate && h.cpu?.model === machine.cpu.model && h.cpu?.cores === machine.cpu.cores && h.platform === machine.platform) return h.trainRate;
    }
    return null;
  }

  recentModels(limit = 10): ModelRow[] {
    return (this.#db.prepare('SELECT * FROM models ORDER BY last_seen DESC, id DESC LIMIT ?').all(limit) as Row[]).map(toModel);
  }

  getModel(id: number): ModelRow | null {
    const r = this.#db.prepare('SELECT * FROM models WHERE id = ?').get(id) as Row | undefined;
    return r ? toModel(r) : null;
  }

  // ── runs ────────────────────────────────────────────────────────────────

  createRun(input: CreateRunInput): RunRow {
    // A run that has not ended belongs to a process; by default the one creating it.
    const status = input.status ?? 'queued';
    const owner = status === 'queued' || status === 'running' ? currentOwner() : null;
    try {
      const r = this.#db
        .prepare(
          `INSERT INTO runs (kind, model_id, parent_run_id, name, status, fingerprint, settings_json, created_at, ep, owner_pid, owner_start)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
        )
        .get(
          input.kind,
          input.modelId ?? null,
          input.parentRunId ?? null,
          input.name ?? '',
          status,
          input.fingerprint ?? null,
          JSON.stringify(input.settings ?? {}),
          now(),
          input.ep ?? null,
          input.ownerPid ?? owner?.pid ?? null,
          input.ownerStart ?? owner?.start ?? null,
        ) as Row;
      return toRun(r);
    } catch (e) {
      throw this.#explain(e, `cannot create ${input.kind} run`);
    }
  }

  updateRun(id: number, patch: RunPatch): RunRow {
    const keys = (Object.keys(patch) as (keyof RunPatch)[]).filter((k) => patch[k] !== undefined && k in RUN_COLUMNS);
    if (!keys.length) return this.#mustRun(id);
    const sets = keys.map((k) => `${RUN_COLUMNS[k]} = ?`).join(', ');
    const values = keys.map((k) => (k === 'settings' || k === 'result' ? json(patch[k]) : patch[k]));
    try {
      const r = this.#db.prepare(`UPDATE runs SET ${sets} WHERE id = ? RETURNING *`).get(...values, id) as Row | undefined;
      if (!r) throw new StoreError(`no run ${id}`);
      return toRun(r);
    } catch (e) {
      throw this.#explain(e, `cannot update run ${id}`);
    }
  }

  startRun(id: number, ep?: string): RunRow {
    return this.updateRun(id, { status: 'running', startedAt: now(), ...(ep ? { ep } : {}) });
  }

  finishRun(id: number, result?: unknown, extra: { peakRss?: number; ep?: string } = {}): RunRow {
    return this.updateRun(id, { status: 'done', finishedAt: now(), result, error: null, ...extra });
  }

  /** Record a failure (or a cancellation) with its one-line reason. */
  failRun(id: number, error: string, status: Extract<RunStatus, 'failed' | 'cancelled' | 'interrupted'> = 'failed'): RunRow {
    return this.updateRun(id, { status, error, finishedAt: now() });
  }

  renameRun(id: number, name: string): RunRow {
    return this.updateRun(id, { name });
  }

  /** Deletes the run with its metrics, layer stats, artifacts and phases; runs derived from it keep existing
   *  with parent_run_id cleared (an eval outlives the slice record it measured). Returns false if absent. */
  deleteRun(id: number): boolean {
    return this.#db.prepare('DELETE FROM runs WHERE id = ?').run(id).changes > 0;
  }

  listRuns(filter: RunFilter = {}): RunRow[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const add = (col: string, v: unknown) => {
      if (v !== undefined) {
        where.push(`${col} = ?`);
        args.push(v);
      }
    };
    add('kind', filter.kind);
    add('status', filter.status);
    add('model_id', filter.modelId);
    add('parent_run_id', filter.parentRunId);
    add('fingerprint', filter.fingerprint);
    const sql = `SELECT * FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ? OFFSET ?`;
    return (this.#db.prepare(sql).all(...args, filter.limit ?? 100, filter.offset ?? 0) as Row[]).map(toRun);
  }

  /** The newest finished run with this fingerprint: the same work done before. */
  findDoneRun(fingerprint: string): RunRow | null {
    const r = this.#db.prepare("SELECT * FROM runs WHERE fingerprint = ? AND status = 'done' ORDER BY id DESC LIMIT 1").get(fingerprint) as Row | undefined;
    return r ? toRun(r) : null;
  }

  getRun(id: number): RunDetail | null {
    const r = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    if (!r) return null;
    const metrics = (this.#db.prepare('SELECT * FROM metrics WHERE run_id = ? ORDER BY id').all(id) as Row[]).map((m): MetricRow => ({
      id: m.id as number,
      runId: id,
      name: m.name as string,
      value: m.value as number,
      unit: m.unit as string | null,
      task: m.task as string | null,
      stderr: m.stderr as number | null,
      protocol: parse(m.protocol_json as string | null),
    }));
    const layers = (this.#db.prepare('SELECT * FROM layer_stats WHERE run_id = ? ORDER BY layer, id').all(id) as Row[]).map((l): LayerStatRow => ({
      id: l.id as number,
      runId: id,
      layer: l.layer as number,
      phase: l.phase as string,
      seconds: l.seconds as number | null,
      keptVariance: l.kept_variance as number | null,
      eigenvalues: parse(l.eigenvalues_json as string | null),
      dims: parse(l.dims_json as string | null),
    }));
    const artifacts = (this.#db.prepare('SELECT * FROM artifacts WHERE run_id = ? ORDER BY id').all(id) as Row[]).map((a): ArtifactRow => ({
      id: a.id as number,
      runId: id,
      path: a.path as string,
      kind: a.kind as string,
      format: a.format as string,
      bytes: a.bytes as number | null,
      sha256: a.sha256 as string | null,
      runtime: a.runtime as string | null,
      createdAt: a.created_at as string,
    }));
    const phases = (this.#db.prepare('SELECT * FROM run_phases WHERE run_id = ? ORDER BY id').all(id) as Row[]).map((p): PhaseRow => ({ id: p.id as number, runId: id, phase: p.phase as string, seconds: p.seconds as number }));
    return { ...toRun(r), metrics, layers, artifacts, phases };
  }

  // ── results of a run ────────────────────────────────────────────────────

  addMetric(runId: number, m: MetricInput): number {
    // SQLite stores NaN as NULL: say what is wrong instead of "NOT NULL constraint failed".
    if (!Number.isFinite(m.value)) throw new StoreError(`cannot add metric ${m.name} to run ${runId}: its value ${m.value} is not a finite number`);
    try {
      return Number(
        this.#db
          .prepare('INSERT INTO metrics (run_id, name, value, unit, task, stderr, protocol_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(runId, m.name, m.value, m.unit ?? null, m.task ?? null, m.stderr ?? null, m.protocol ? JSON.stringify(m.protocol) : null).lastInsertRowid,
      );
    } catch (e) {
      throw this.#explain(e, `cannot add metric ${m.name} to run ${runId}`);
    }
  }

  addMetrics(runId: number, ms: MetricInput[]): number[] {
    return this.transaction(() => ms.map((m) => this.addMetric(runId, m)));
  }

  addLayerStat(runId: number, s: LayerStatInput): number {
    const top = s.eigenvalues ? [...s.eigenvalues].sort((a, b) => b - a).slice(0, 64) : null;
    try {
      return Number(
        this.#db
          .prepare('INSERT INTO layer_stats (run_id, layer, phase, seconds, kept_variance, eigenvalues_json, dims_json) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(runId, s.layer, s.phase, s.seconds ?? null, s.keptVariance ?? null, json(top), json(s.dims ?? null)).lastInsertRowid,
      );
    } catch (e) {
      throw this.#explain(e, `cannot add layer ${s.layer} stats to run ${runId}`);
    }
  }

  addArtifact(runId: number, a: ArtifactInput): number {
    try {
      return Number(
        this.#db.prepare('INSERT INTO artifacts (run_id, path, kind, format, bytes, sha256, runtime, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(runId, a.path, a.kind, a.format, a.bytes ?? null, a.sha256 ?? null, a.runtime ?? null, now())
          .lastInsertRowid,
      );
    } catch (e) {
      throw this.#explain(e, `cannot add artifact to run ${runId}`);
    }
  }

  addPhase(runId: number, phase: string, seconds: number): number {
    try {
      return Number(this.#db.prepare('INSERT INTO run_phases (run_id, phase, seconds) VALUES (?, ?, ?)').run(runId, phase, seconds).lastInsertRowid);
    } catch (e) {
      throw this.#explain(e, `cannot add phase ${phase} to run ${runId}`);
    }
  }

  #mustRun(id: number): RunRow {
    const r = this.#db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new StoreError(`no run ${id}`);
    return toRun(r);
  }

  /** SQLite constraint failures as one-line StoreErrors ("run 7 does not exist", "invalid status …"). */
  #explain(e: unknown, what: string): Error {
    if (e instanceof StoreError) return e;
    const msg = (e as Error).message ?? String(e);
    if (/FOREIGN KEY/.test(msg)) return new StoreError(`${what}: it refers to a run or model that does not exist`);
    if (/CHECK constraint/.test(msg)) return new StoreError(`${what}: invalid kind or status`);
    return new StoreError(`${what}: ${msg}`);
  }
}
