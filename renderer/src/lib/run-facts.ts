// What the Runs table and the comparison show about a run, derived from the store's rows. A slice's
// quality is measured by the perplexity/eval runs on its output folder (never by an export's
// verification, which measures the exported file), so those runs' metrics are joined onto the slice
// (they stay rows of their own too). Every perplexity comes with its protocol, and a slice's numbers
// with its dense model's measured the same way (core/eval/dense-baseline.ts).
import type { RunDetail, RunSummary } from '../../../core/api/contract';
import type { MetricRow } from '../../../core/store/types';
import { baselineOf, ownNumbers } from '../../../core/eval/dense-baseline';
import { difference, protocolKey, protocolLabel, protocolShort, signed, type Measured, type PplProtocol } from '../../../core/runtime/ppl-protocol';
import { primaryMetric } from './tasks';
import { lossFromRun, type LossPoint } from './loss-curve';

export { protocolKey, protocolLabel, protocolShort, signed, difference, type Measured, type PplProtocol };

export interface RunFacts {
  id: number;
  name: string;
  kind: string;
  /** The job that made the run ('recover' for a recovery, recorded with run kind 'slice'; else the kind). */
  job: string;
  parentRunId: number | null;
  /** A recovery's training loss per step (empty for other runs). */
  loss: LossPoint[];
  status: string;
  error: string | null;
  /** Model folder name (the dense model for a slice, the evaluated folder otherwise). */
  model: string;
  modelPath: string | null;
  /** Output folder of a slice. */
  out: string | null;
  ratio: number | null;
  d: number | null;
  dataset: string | null;
  perplexity: number | null;
  /** Its standard error (per-window NLLs, delta method), where recorded. */
  pplStderr: number | null;
  /** What the perplexity was measured on (null for runs recorded before protocols were). */
  pplProtocol: PplProtocol | null;
  /** Task → accuracy (0…1), the task's primary metric. */
  tasks: Record<string, number>;
  /** Task → the accuracy's binomial standard error. */
  taskStderr: Record<string, number | null>;
  avgAccuracy: number | null;
  /** The dense model's numbers under the same protocol / tasks and item counts (slices and their evaluations). */
  baseline: {
    dense: string;
    perplexity: Measured | null;
    tasks: Record<string, Measured>;
    avgAccuracy: number | null;
  } | null;
  /** Weight bytes of a slice and of its dense model. */
  bytes: number | null;
  denseBytes: number | null;
  seconds: number | null;
  peakRss: number | null;
  phases: { phase: string; seconds: number }[];
  /** Kept variance per layer (mean over the layer's signals), layer order. */
  keptVariance: { layer: number; value: number }[];
  /** Runs whose metrics were joined in (evaluations of this slice's output). */
  measuredBy: number[];
  /** The cancelled/failed run this one continued. */
  resumeOf: number | null;
  startedAt: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

export const baseName = (p: string | null): string =>
  p
    ? (p
        .replace(/[\\/]+$/, '')
        .split(/[\\/]/)
        .pop() ?? p)
    : '—';

export function isPerplexity(m: Pick<MetricRow, 'name' | 'task'>): boolean {
  // A verify-export run's `ppl_relative_difference` is a ratio of perplexities, not one.
  if (/difference|relative/i.test(m.name)) return false;
  return /^(ppl|perplexity)(\b|_|$)/i.test(m.name) && (m.task === null || /^(ppl|perplexity|wikitext)/i.test(m.task));
}

/** Task → its primary accuracy (0…1). */
export function accuracies(metrics: Pick<MetricRow, 'name' | 'task' | 'value'>[]): Record<string, number> {
  return Object.fromEntries(Object.entries(primaryMetrics(metrics)).map(([t, m]) => [t, m.value]));
}

/** Task → its primary accuracy metric (value and stderr). */
export function primaryMetrics<M extends Pick<MetricRow, 'name' | 'task' | 'value'> & { stderr?: number | null }>(metrics: M[]): Record<string, Measured> {
  const byTask: Record<string, Record<string, M>> = {};
  for (const m of metrics) {
    if (!m.task || isPerplexity(m)) continue;
    (byTask[m.task] ??= {})[m.name] = m;
  }
  const out: Record<string, Measured> = {};
  for (const [task, names] of Object.entries(byTask)) {
    const v = names[primaryMetric(task)] ?? names['acc'];
    if (v !== undefined) out[task] = { value: v.value, stderr: v.stderr ?? null };
  }
  return out;
}

/** The paper's average (the run's own 'average' metric when recorded, else the mean of the tasks'). */
export function averageAccuracy(metrics: Pick<MetricRow, 'name' | 'task' | 'value'>[]): number | null {
  const stored = [...metrics].reverse().find((m) => m.name === 'average' && m.task === null);
  if (stored) return stored.value;
  const accs = Object.values(accuracies(metrics));
  return accs.length ? accs.reduce((a, b) => a + b, 0) / accs.length : null;
}

export function outputOf(r: Pick<RunSummary, 'kind' | 'settings' | 'result'>): string | null {
  if (r.kind !== 'slice') return null;
  return str(obj(r.result)['out']) ?? str(r.settings['out']);
}

function seconds(r: RunSummary): number | null {
  if (r.startedAt && r.finishedAt) return (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
  return num(obj(r.result)['seconds']);
}

export function factsOf(r: RunDetail, all: RunDetail[] = []): RunFacts {
  const s = r.settings;
  const result = obj(r.result);
  const out = outputOf(r);
  // This run's own numbers; a slice's come from its newest evaluation per number (never a verification).
  const own = ownNumbers(r, all);
  const ownTaskMetrics = Object.values(own.tasks).flat();
  // A verify-export run has no plain `ppl`: its export perplexity (with its protocol) is what it measured.
  const ppl = own.ppl ?? (r.kind === 'verify' ? (r.metrics.find(isPerplexity) ?? null) : null);
  const primary = primaryMetrics(ownTaskMetrics);
  const tasks = Object.fromEntries(Object.entries(primary).map(([t, m]) => [t, m.value]));
  const base = baselineOf(r, all);
  const baseTasks = base ? primaryMetrics(Object.values(base.tasks).flat()) : {};
  const sameTasks = base && Object.keys(primary).length > 0 && Object.keys(primary).every((t) => baseTasks[t]);
  const layerMeans = new Map<number, number[]>();
  for (const l of r.layers) {
    if (l.keptVariance === null) continue;
    layerMeans.set(l.layer, [...(layerMeans.get(l.layer) ?? []), l.keptVariance]);
  }
  const modelPath = str(s['model']) ?? str(s['modelPath']) ?? str(s['path']);
  // An evaluation of a slice's output inherits the slice's ratio and calibration data.
  const parent = r.parentRunId !== null ? all.find((p) => p.id === r.parentRunId && p.kind === 'slice') : undefined;
  // So does a recovery (a slice run that trained that slice): it sits at its slice's ratio.
  const job = str(s['job']) ?? r.kind;
  const from = parent && (r.kind !== 'slice' || job === 'recover') ? parent : r;
  const dMetric = r.metrics.find((m) => m.name === 'd' && m.task === null);
  return {
    id: r.id,
    name: r.name,
    kind: r.kind,
    job,
    parentRunId: r.parentRunId,
    loss: lossFromRun(r.layers),
    status: r.status,
    error: r.error,
    model: baseName(modelPath),
    modelPath,
    out,
    ratio: num(from.settings['ratio']) ?? (r.kind === 'eval' || r.kind === 'ppl' ? 0 : null),
    d: num(result['d']) ?? dMetric?.value ?? null,
    dataset: str(from.settings['cal']) ? baseName(str(from.settings['cal'])) : null,
    perplexity: ppl ? ppl.value : null,
    pplStderr: ppl?.stderr ?? null,
    pplProtocol: ppl?.protocol ?? null,
    tasks,
    taskStderr: Object.fromEntries(Object.entries(primary).map(([t, m]) => [t, m.stderr])),
    avgAccuracy: averageAccuracy(ownTaskMetrics),
    baseline: base
      ? {
          dense: baseName(base.dense),
          perplexity: base.ppl ? { value: base.ppl.value, stderr: base.ppl.stderr } : null,
          tasks: baseTasks,
          avgAccuracy: sameTasks ? Object.keys(primary).reduce((a, t) => a + baseTasks[t].value, 0) / Object.keys(primary).length : null,
        }
      : null,
    bytes: r.kind === 'slice' ? (r.metrics.find((m) => m.name === 'bytes' && m.task === null)?.value ?? null) : null,
    denseBytes: r.kind === 'slice' ? (r.metrics.find((m) => m.name === 'dense_bytes' && m.task === null)?.value ?? null) : null,
    seconds: seconds(r),
    peakRss: r.peakRss ?? num(result['peakRssBytes']),
    phases: r.phases.map((p) => ({ phase: p.phase, seconds: p.seconds })),
    keptVariance: [...layerMeans.entries()].sort((a, b) => a[0] - b[0]).map(([layer, v]) => ({ layer, value: v.reduce((a, b) => a + b, 0) / v.length })),
    measuredBy: own.from.filter((id) => id !== r.id),
    resumeOf: num(s['resumeOf']),
    startedAt: r.startedAt ?? r.createdAt,
  };
}

/** Phase seconds summed by phase name (a resumed run records a phase more than once). */
export function phaseTotals(f: RunFacts): Record<string, number> {
  const t: Record<string, number> = {};
  for (const p of f.phases) t[p.phase] = (t[p.phase] ?? 0) + p.seconds;
  return t;
}

// Display: one place decides how each number is printed, so the table, the comparison and the CSV agree.
export const fmt = {
  ratio: (v: number | null) => (v === null ? '—' : `${+(v * 100).toFixed(1)} %`),
  ppl: (v: number | null) => (v === null ? '—' : v.toFixed(2)),
  /** "201.70 ± 3.12" */
  pplErr: (v: number | null, se: number | null) => (v === null ? '—' : se === null || !Number.isFinite(se) ? v.toFixed(2) : `${v.toFixed(2)} ± ${se.toFixed(2)}`),
  /** Slice − dense perplexity, "+16.72 ± 4.80". */
  pplDelta: (a: Measured | null, b: Measured | null) => (a && b ? signed(difference(a, b), 2) : '—'),
  /** Slice − dense accuracy in percentage points, "−2.0 ± 6.9 pp". */
  accDelta: (a: Measured | null, b: Measured | null) => (a && b ? `${signed(difference(a, b), 1, 100)} pp` : '—'),
  protocol: (p: PplProtocol | null) => (p ? protocolShort(p) : 'protocol not recorded'),
  acc: (v: number | null) => (v === null ? '—' : `${(v * 100).toFixed(1)} %`),
  seconds: (v: number | null) => (v === null ? '—' : v < 60 ? `${v.toFixed(1)} s` : `${Math.floor(v / 60)} min ${Math.round(v % 60)} s`),
  int: (v: number | null) => (v === null ? '—' : String(v)),
};
