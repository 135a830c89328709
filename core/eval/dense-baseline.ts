// A slice's numbers next to its dense model's, measured the same way: the dense model's perplexity under
// the same protocol and its accuracy on the same tasks with the same number of items, from the runs
// already in the store (the eval/ppl jobs evaluate the dense model once when no such run exists: the
// cache is the store). Pure, over run rows, so the CLI, the demo and the renderer match runs alike.
import type { MetricRow } from '../store/types';
import { sameProtocol, type PplProtocol } from '../runtime/ppl-protocol';

type Metric = Pick<MetricRow, 'name' | 'task' | 'value' | 'stderr' | 'protocol'>;

export interface RunLike {
  id: number;
  kind: string;
  status: string;
  parentRunId: number | null;
  settings: Record<string, unknown>;
  result?: unknown;
  metrics: Metric[];
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const norm = (p: string): string => p.replace(/[\\/]+$/, '');

export const isPlainPpl = (m: Pick<Metric, 'name' | 'task'>): boolean => m.name === 'ppl' && m.task === null;

/**
 * The dense model a run's numbers are about: a slice's source model, or, for an evaluation of a slice's
 * output, that slice's source; for a recovery and its evaluations, the source of the slice it trained
 * (null for runs on a dense model).
 */
export function denseModelOf(run: RunLike, all: RunLike[]): string | null {
  if (run.kind === 'slice') {
    // A recovery (recorded as a slice run) trains a slice: its dense model is that slice's, up the chain.
    if (run.settings.job !== 'recover') return str(run.settings.model);
    const input = all.find((r) => r.id === run.parentRunId && r.kind === 'slice');
    return input ? denseModelOf(input, all) : null;
  }
  const model = str(run.settings.model);
  if (!model) return null;
  const slice =
    (run.parentRunId !== null ? all.find((r) => r.id === run.parentRunId && r.kind === 'slice') : undefined) ?? all.find((r) => r.kind === 'slice' && (str((r.result as Record<string, unknown> | null)?.out) ?? str(r.settings.out)) === model);
  return slice ? denseModelOf(slice, all) : null;
}

export interface BaselineNumbers {
  /** The dense perplexity under the asked protocol, with the run that measured it. */
  ppl: (Metric & { runId: number }) | null;
  /** Task metrics (acc, acc_norm, n) of the dense model with the same n, per task. */
  tasks: Record<string, (Metric & { runId: number })[]>;
}

/** The newest finished dense measurements of `dense` matching `want` (a protocol; tasks with their n). */
export function findBaseline(all: RunLike[], dense: string, want: { protocol: PplProtocol | null; tasks: Record<string, number> }): BaselineNumbers {
  const runs = all.filter((r) => r.status === 'done' && (r.kind === 'ppl' || r.kind === 'eval') && str(r.settings.model) !== null && norm(str(r.settings.model)!) === norm(dense)).sort((a, b) => b.id - a.id);
  let ppl: BaselineNumbers['ppl'] = null;
  if (want.protocol)
    for (const r of runs) {
      const m = r.metrics.find((x) => isPlainPpl(x) && sameProtocol(x.protocol, want.protocol));
      if (m) {
        ppl = { ...m, runId: r.id };
        break;
      }
    }
  const tasks: BaselineNumbers['tasks'] = {};
  for (const [task, n] of Object.entries(want.tasks))
    for (const r of runs) {
      const ms = r.metrics.filter((x) => x.task === task);
      if (ms.some((x) => x.name === 'n' && x.value === n)) {
        tasks[task] = ms.map((m) => ({ ...m, runId: r.id }));
        break;
      }
    }
  return { ppl, tasks };
}

/** What a run measured, as the key to its baseline: its perplexity protocol and its tasks' item counts. */
export function measuredBy(metrics: Metric[]): { protocol: PplProtocol | null; tasks: Record<string, number> } {
  const tasks: Record<string, number> = {};
  for (const m of metrics) if (m.task && m.name === 'n') tasks[m.task] = m.value;
  return { protocol: metrics.find(isPlainPpl)?.protocol ?? null, tasks };
}

type Found = Metric & { runId: number };

export interface OwnNumbers {
  /** The perplexity of the run's own evaluation (a slice: the newest ppl/eval run of its output). */
  ppl: Found | null;
  /** Task → its metrics (acc, acc_norm, n), from the newest evaluation that has the task. */
  tasks: Record<string, Found[]>;
  /** The evaluations the numbers came from (ids, oldest first). */
  from: number[];
}

const outOf = (r: RunLike): string | null => (r.kind === 'slice' ? (str((r.result as Record<string, unknown> | null)?.out) ?? str(r.settings.out)) : null);

/**
 * Evaluations of a slice's output folder: finished ppl and eval runs on it, oldest first. Verifications
 * of an export (kind 'verify') measure another artifact — the exported file, often on fewer windows —
 * and never stand for the slice.
 */
export function evaluationsOf(run: RunLike, all: RunLike[]): RunLike[] {
  const out = outOf(run);
  if (!out) return [];
  return all.filter((e) => e.id !== run.id && e.status === 'done' && (e.kind === 'ppl' || e.kind === 'eval') && (e.parentRunId === run.id || str(e.settings.model) === out)).sort((a, b) => a.id - b.id);
}

/** The run's own numbers: its metrics, or for a slice those of its newest evaluations (per number). */
export function ownNumbers(run: RunLike, all: RunLike[]): OwnNumbers {
  const sources = run.kind === 'slice' ? evaluationsOf(run, all) : [run];
  let ppl: Found | null = null;
  const tasks: Record<string, Found[]> = {};
  const from = new Set<number>();
  for (const r of [...sources].reverse()) {
    const p = r.metrics.find(isPlainPpl);
    if (p && !ppl) {
      ppl = { ...p, runId: r.id };
      from.add(r.id);
    }
    for (const m of r.metrics) {
      if (!m.task || m.name === 'ppl') continue;
      if (tasks[m.task] && tasks[m.task][0].runId !== r.id) continue;
      (tasks[m.task] ??= []).push({ ...m, runId: r.id });
      from.add(r.id);
    }
  }
  return { ppl, tasks, from: [...from].sort((a, b) => a - b) };
}

/** The dense model's numbers matching a run's own (null when the run is not about a slice). */
export function baselineOf(run: RunLike, all: RunLike[]): (BaselineNumbers & { dense: string }) | null {
  const dense = denseModelOf(run, all);
  if (!dense) return null;
  const own = ownNumbers(run, all);
  const tasks: Record<string, number> = {};
  for (const [t, ms] of Object.entries(own.tasks)) {
    const n = ms.find((m) => m.name === 'n');
    if (n) tasks[t] = n.value;
  }
  return { dense, ...findBaseline(all, dense, { protocol: own.ppl?.protocol ?? null, tasks }) };
}
