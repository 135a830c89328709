// `npm run bench -- kill [--points 10] [--seed S] [--kind slice,export,store] [--out file]`: SIGKILL at seeded
// random points of a CLI slice, a CLI export (GGUF q8_0) and a store writer, and check what issue 17 asks of
// each kill: no partial file under a final name, no stale temporary after the next run, no run left
// `running`/`queued`, the folder lock released, and a resumed slice (or the next export) writing exactly the
// bytes an uninterrupted run writes. Points are uniform over the uninterrupted run's time from the moment
// the job holds its output (slice, export) or from the writer's first acknowledged run (store). Writes
// bench/results/kill.json (or --out) and prints it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import Database from 'better-sqlite3';
import { flags } from './lib/flags';
import { cli, cliChild, cliJson, root } from '../test/transports/cli-helpers';
import { killWhen, seeded, temps } from '../test/transports/kill-helpers';
import { sharedModel } from '../test/shared';
import { lockFileFor } from '../core/files/folder-lock';
import { Store } from '../core/store/store';
import type { RunSummary } from '../core/api/contract';

interface Violation {
  point: number;
  delayMs: number;
  what: string;
}
interface KindReport {
  points: number;
  killsLanded: number;
  violations: number;
  details: Violation[];
  /** The uninterrupted run's span the points were drawn from (ms). */
  spanMs: number;
}

const model = sharedModel('tiny-llama');
const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const sliceArgs = (out: string) => ['slice', model, '--ratio', '0.25', '--nsamples', '4', '--seqlen', '128', '--sampling', 'first', '--seed', '0', '--batch-size', '2', '--out', out];
const exportArgs = (file: string) => ['export', model, '--format', 'gguf', '--dtype', 'q8_0', '--out', file];
/** Files a finished slice writes under their final names (the rest — marker, report — may carry run ids). */
const finalSliceFile = (f: string) => /\.safetensors$|^model\.safetensors\.index\.json$|^config\.json$|^slicing_config\.json$/.test(f);

/** Runs `args` once, killing it `delayMs` after `ready()` holds (never, for delayMs < 0); returns when it exits. */
async function killedAt(data: string, args: string[], ready: () => boolean, delayMs: number): Promise<{ landed: boolean; readyAt: number | null; endedAt: number; out: string; err: string }> {
  let readyAt: number | null = null;
  let armed = false;
  const r = await cliChild(data, args, (_t, child) => {
    if (armed) return;
    armed = true;
    // Without a kill the poll still records when the job held its output, to measure the span.
    killWhen(child as ChildProcess, ready, delayMs < 0 ? 1e9 : delayMs, (at) => (readyAt = at));
  });
  return { landed: r.code === null, readyAt, endedAt: performance.now(), out: r.out, err: r.err };
}

function stuckRuns(data: string, kind: string): string[] {
  const runs = cliJson<RunSummary[]>(data, 'runs', '--kind', kind);
  return runs.filter((r) => r.status === 'running' || r.status === 'queued').map((r) => `run ${r.id} left ${r.status}`);
}

async function sliceKills(points: number, rand: () => number, log: (s: string) => void): Promise<KindReport> {
  const data = mkdtempSync(join(tmpdir(), 'ss-bench-kill-slice-'));
  try {
    const refOut = join(data, 'ref');
    // Without --json so the CLI's progress on stderr arms the poll that times the span.
    const ref = await killedAt(data, sliceArgs(refOut), () => existsSync(lockFileFor(refOut)), -1);
    const span = ref.endedAt - (ref.readyAt ?? ref.endedAt);
    const refFiles = readdirSync(refOut).filter(finalSliceFile);
    const refSha = new Map(refFiles.map((f) => [f, sha(join(refOut, f))]));
    const refRun = cliJson<RunSummary[]>(data, 'runs', '--kind', 'slice')[0];
    const want = cliJson<{ result: { artifact: { sha256: string } } }>(data, 'runs', 'show', String(refRun.id)).result.artifact.sha256;
    const report: KindReport = { points, killsLanded: 0, violations: 0, details: [], spanMs: Math.round(span) };
    for (let i = 0; i < points; i++) {
      const out = join(data, `killed-${i}`);
      const delay = Math.floor(rand() * span);
      const bad = (what: string) => report.details.push({ point: i, delayMs: delay, what });
      const k = await killedAt(data, sliceArgs(out), () => existsSync(lockFileFor(out)), delay);
      if (k.landed) report.killsLanded++;
      // A file under a final name must be the finished bytes, never a partial write.
      for (const f of existsSync(out) ? readdirSync(out).filter(finalSliceFile) : []) if (sha(join(out, f)) !== refSha.get(f)) bad(`after the kill, ${f} differs from the uninterrupted run's`);
      const resumed = cli(data, ...sliceArgs(out), '--resume', '--json');
      if (resumed.code !== 0) {
        bad(`resume exited ${resumed.code}: ${resumed.err.trim()}`);
      } else {
        const got = (JSON.parse(resumed.out) as { result: { artifact: { sha256: string } } }).result.artifact.sha256;
        for (const [f, h] of refSha) if (!existsSync(join(out, f)) || sha(join(out, f)) !== h) bad(`resumed ${f} differs from the uninterrupted run's`);
        if (got !== want) bad(`resumed sha256 ${got} ≠ uninterrupted ${want}`);
      }
      for (const t of temps(out)) bad(`stale temporary after the next run: ${t}`);
      if (existsSync(lockFileFor(out))) bad('folder lock left after the next run');
      for (const s of stuckRuns(data, 'slice')) bad(s);
      log(`slice point ${i}: +${delay} ms, ${k.landed ? 'killed' : 'finished first'}`);
      rmSync(out, { recursive: true, force: true });
    }
    report.violations = report.details.length;
    return report;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

async function exportKills(points: number, rand: () => number, log: (s: string) => void): Promise<KindReport> {
  const data = mkdtempSync(join(tmpdir(), 'ss-bench-kill-export-'));
  try {
    const refFile = join(data, 'ref', 'tl.gguf');
    const ref = await killedAt(data, exportArgs(refFile), () => existsSync(lockFileFor(refFile)), -1);
    const span = ref.endedAt - (ref.readyAt ?? ref.endedAt);
    const refSha = sha(refFile);
    const report: KindReport = { points, killsLanded: 0, violations: 0, details: [], spanMs: Math.round(span) };
    // One output name for every point: the next export must clean up after all earlier kills in the folder.
    const file = join(data, 'exports', 'tl.gguf');
    for (let i = 0; i < points; i++) {
      const delay = Math.floor(rand() * span);
      const bad = (what: string) => report.details.push({ point: i, delayMs: delay, what });
      const k = await killedAt(data, exportArgs(file), () => existsSync(lockFileFor(file)), delay);
      if (k.landed) {
        report.killsLanded++;
        if (existsSync(file) && sha(file) !== refSha) bad('a partial GGUF under the final name after the kill');
      }
      rmSync(file, { force: true });
      const next = cli(data, ...exportArgs(file), '--json');
      if (next.code !== 0) bad(`the next export exited ${next.code}: ${next.err.trim()}`);
      else if (sha(file) !== refSha) bad('the next export differs from the uninterrupted one');
      for (const t of temps(dirname(file))) bad(`stale temporary after the next run: ${t}`);
      if (existsSync(lockFileFor(file))) bad('lock left after the next run');
      for (const s of stuckRuns(data, 'export')) bad(s);
      log(`export point ${i}: +${delay} ms, ${k.landed ? 'killed' : 'finished first'}`);
      rmSync(file, { force: true });
    }
    report.violations = report.details.length;
    return report;
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
}

/**
 * A writer process that keeps recording runs the way a job does (created running, progress, phases,
 * metrics, finished) and acknowledges each committed step on stdout; killed with -9 at `delayMs` after
 * its first acknowledgement (never, for delayMs < 0: it stops itself after `steps`).
 */
function storeWriter(file: string, delayMs: number, steps: number): Promise<{ landed: boolean; acked: Map<number, string>; firstAt: number | null; endedAt: number }> {
  const code = `
    import { Store } from './core/store/store.ts';
    const s = Store.open(${JSON.stringify(file)});
    for (let i = 0; i < ${steps}; i++) {
      const run = s.createRun({ kind: 'slice', name: 'writer ' + i, status: 'running', settings: { model: '/m', out: '/o' + i } });
      process.stdout.write(run.id + ' running\\n');
      s.updateRun(run.id, { settings: { model: '/m', out: '/o' + i, step: i } });
      s.addPhase(run.id, 'pca', 0.1);
      s.addMetric(run.id, { name: 'd', value: 192 });
      if (i % 3 === 0) { process.stdout.write(run.id + ' open\\n'); continue; }
      s.finishRun(run.id, { ok: i });
      process.stdout.write(run.id + ' done\\n');
    }
    s.close();
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const acked = new Map<number, string>();
    let firstAt: number | null = null;
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const [id, state] = l.split(' ');
        acked.set(Number(id), state);
      }
      if (firstAt === null && acked.size > 0) {
        firstAt = performance.now();
        if (delayMs >= 0) setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (c) => resolve({ landed: c === null, acked, firstAt, endedAt: performance.now() }));
  });
}

async function storeKills(points: number, rand: () => number, log: (s: string) => void): Promise<KindReport> {
  const dir = mkdtempSync(join(tmpdir(), 'ss-bench-kill-store-'));
  const steps = 400;
  try {
    const ref = await storeWriter(join(dir, 'ref.db'), -1, steps);
    const span = ref.endedAt - (ref.firstAt ?? ref.endedAt);
    const report: KindReport = { points, killsLanded: 0, violations: 0, details: [], spanMs: Math.round(span) };
    // One database for every point, as the app's own: each kill lands on top of the earlier ones.
    const file = join(dir, 'slice-studio.db');
    for (let i = 0; i < points; i++) {
      const delay = Math.floor(rand() * span);
      const bad = (what: string) => report.details.push({ point: i, delayMs: delay, what });
      const k = await storeWriter(file, delay, steps);
      if (k.landed) report.killsLanded++;
      const store = Store.open(file); // the next run: recovers what the dead writer left
      try {
        for (const [id, state] of k.acked) {
          const run = store.getRun(id);
          if (!run) bad(`acknowledged run ${id} lost`);
          else if (state === 'done' && run.status !== 'done') bad(`acknowledged done run ${id} is ${run.status}`);
        }
        for (const r of [...store.listRuns({ status: 'running' }), ...store.listRuns({ status: 'queued' })]) bad(`run ${r.id} left ${r.status}`);
      } finally {
        store.close();
      }
      const db = new Database(file, { readonly: true });
      const integrity = db.pragma('integrity_check', { simple: true });
      db.close();
      if (integrity !== 'ok') bad(`integrity_check: ${String(integrity)}`);
      for (const f of readdirSync(dir)) if (/-journal$|\.tmp(-|$)/.test(f)) bad(`stale file after the next run: ${f}`);
      log(`store point ${i}: +${delay} ms, ${k.landed ? 'killed' : 'finished first'}, ${k.acked.size} steps acknowledged`);
    }
    report.violations = report.details.length;
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const KINDS = { slice: sliceKills, export: exportKills, store: storeKills } as const;

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const points = Number(f.get('points') ?? 10);
  const seed = Number(f.get('seed') ?? 17);
  const out = f.get('out') ?? join(import.meta.dirname, 'results', 'kill.json');
  const chosen = (f.get('kind') ?? Object.keys(KINDS).join(',')).split(',');
  for (const c of chosen) if (!(c in KINDS)) throw new Error(`unknown kind ${c}: choose from ${Object.keys(KINDS).join(', ')}`);
  const t0 = performance.now();
  const kinds: Record<string, KindReport> = {};
  for (const c of chosen) {
    // Each kind its own seeded stream, so --kind export draws the same points as a full run does.
    const rand = seeded(seed * 1000 + Object.keys(KINDS).indexOf(c));
    kinds[c] = await KINDS[c as keyof typeof KINDS](points, rand, (s) => process.stderr.write(s + '\n'));
  }
  const report = {
    bench: 'kill',
    how: 'SIGKILL at `points` seeded uniform delays over the uninterrupted run (from the output lock, or the store writer’s first commit); after each kill the next run (slice --resume / the same export / Store.open) must leave no partial final file, no temporary, no lock, no running or queued run, and reproduce the uninterrupted bytes',
    points,
    seed,
    model: 'tiny-llama (slice ratio 0.25, 4×128 calibration; export gguf q8_0)',
    seconds: Math.round((performance.now() - t0) / 1000),
    kinds,
    violations: Object.values(kinds).reduce((a, k) => a + k.violations, 0),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2));
}
