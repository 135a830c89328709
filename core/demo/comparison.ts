// Runs side by side as plain text: one column per run, one row per metric (per task where there is one),
// then the model's width and size, wall-clock time and peak memory. Used by `runs compare` and the demo.
// A slice shows its own evaluation's numbers; every perplexity says what it was measured on; a run about
// a slice shows the difference to its dense model measured the same way (± standard error), and the
// table says when perplexities were measured under different protocols.
import type { ComparedRun } from '../api/contract';
import type { MetricRow } from '../store/types';
import { difference, protocolKey, protocolLabel, protocolShort, signed } from '../runtime/ppl-protocol';

/** Metrics that describe the measurement rather than the model: left out of the comparison. */
const BOOKKEEPING = new Set(['n', 'tokens', 'windows', 'seqlen', 'prompt_tokens', 'new_tokens', 'seconds', 'dense_params']);
const PERCENT = new Set(['acc', 'acc_norm', 'average', 'kept_variance_mean']);

function value(name: string, v: number): string {
  if (PERCENT.has(name)) return `${(v * 100).toFixed(1)}%`;
  if (name === 'params' || name === 'dense_params') return `${(v / 1e6).toFixed(2)}M`;
  if (name === 'peak_rss') return `${(v / 2 ** 20).toFixed(0)} MiB`;
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

export function runSeconds(r: { startedAt: string | null; finishedAt: string | null }): number | null {
  return r.startedAt && r.finishedAt ? (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000 : null;
}

export interface ComparisonOptions {
  /** Column titles (default: "#id name"). */
  titles?: string[];
  /** Rows measured elsewhere (a slice's perplexity from its evaluation run), placed after the model's size. */
  extraRows?: { label: string; cells: string[] }[];
}

type Shown = Pick<MetricRow, 'name' | 'task' | 'value' | 'stderr' | 'protocol'>;

/** A run's metrics as compared: a slice's own are its evaluations' (perplexity, tasks) after its own. */
function shownMetrics(r: ComparedRun): Shown[] {
  const own: Shown[] = r.kind === 'slice' ? [...(r.own.ppl ? [r.own.ppl] : []), ...Object.values(r.own.tasks).flat()] : [];
  return [...r.metrics, ...own.filter((m) => !r.metrics.some((x) => x.name === m.name && x.task === m.task))];
}

/** The dense model's metric measured like this one (same protocol; same task and items), or null. */
function denseOf(r: ComparedRun, m: Shown): Shown | null {
  if (!r.baseline) return null;
  if (m.name === 'ppl' && m.task === null) return r.baseline.ppl;
  return (m.task && r.baseline.tasks[m.task]?.find((x) => x.name === m.name)) || null;
}

/** A slice's settings as a reader asks for them: the ratio, and the calibration it was rotated by. */
function sliceRows(runs: ComparedRun[]): { label: string; cells: string[] }[] {
  if (!runs.some((r) => r.kind === 'slice')) return [];
  const s = (r: ComparedRun, k: string) => (r.kind === 'slice' ? r.settings[k] : undefined);
  return [
    { label: 'ratio', cells: runs.map((r) => (typeof s(r, 'ratio') === 'number' ? `${((s(r, 'ratio') as number) * 100).toFixed(0)}%` : '—')) },
    {
      label: 'calibration',
      cells: runs.map((r) => (r.kind === 'slice' && s(r, 'cal') !== undefined ? `${String(s(r, 'cal')).split(/[\\/]/).pop()} ${s(r, 'nsamples') ?? '?'}×${s(r, 'seqlen') ?? '?'} ${s(r, 'sampling') ?? ''}`.trim() : '—')),
    },
  ];
}

export function comparisonRows(runs: ComparedRun[], extraRows: { label: string; cells: string[] }[] = []): { label: string; cells: string[] }[] {
  const keys: { name: string; task: string | null; label: string }[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const m of shownMetrics(r)) {
      if (BOOKKEEPING.has(m.name)) continue;
      const label = m.task ? `${m.task} ${m.name}` : m.name;
      if (seen.has(label)) continue;
      seen.add(label);
      keys.push({ name: m.name, task: m.task, label });
    }
  }
  // Model size first, then quality, then speed: the order a reader asks in.
  const rank = (k: { name: string; task: string | null }) => (k.name === 'd' ? 0 : k.name === 'params' ? 1 : k.name === 'ppl' ? 2 : k.task && !k.task.startsWith('batch') ? 3 : k.name === 'average' ? 4 : 5);
  keys.sort((a, b) => rank(a) - rank(b));
  const sizeKeys = keys.filter((k) => rank(k) <= 1).length;
  // Each metric as a row (a slice showing its own evaluation's), with ± stderr and the difference to dense;
  // a perplexity is followed by what it was measured on, so a reader compares like with like.
  const rowsOf = (k: { name: string; task: string | null; label: string }) => {
    const row = {
      label: k.label,
      cells: runs.map((r) => {
        const m = shownMetrics(r).find((x) => x.name === k.name && x.task === k.task);
        if (!m) return '—';
        const pctScale = PERCENT.has(m.name) ? 100 : 1;
        const digits = PERCENT.has(m.name) ? 1 : 2;
        const err = m.stderr !== null && Number.isFinite(m.stderr) && (PERCENT.has(m.name) || m.name === 'ppl') ? ` ±${(m.stderr * pctScale).toFixed(digits)}` : '';
        const dense = denseOf(r, m);
        const delta = dense ? ` (Δ ${signed(difference({ value: m.value, stderr: m.stderr }, { value: dense.value, stderr: dense.stderr }), digits, pctScale)}${PERCENT.has(m.name) ? ' pp' : ''} vs dense)` : '';
        return value(m.name, m.value) + err + delta;
      }),
    };
    if (k.name !== 'ppl' || k.task !== null) return [row];
    const protocols = runs.map((r) => shownMetrics(r).find((x) => x.name === 'ppl' && x.task === null)?.protocol ?? null);
    return [row, { label: 'ppl measured on', cells: protocols.map((p, i) => (p ? protocolShort(p) : shownMetrics(runs[i]).some((x) => x.name === 'ppl') ? 'not recorded' : '—')) }];
  };
  const rows = [
    { label: 'kind', cells: runs.map((r) => `${r.kind}${r.status === 'done' ? '' : ` (${r.status})`}`) },
    ...sliceRows(runs),
    ...keys.slice(0, sizeKeys).flatMap(rowsOf),
    ...extraRows,
    ...keys.slice(sizeKeys).flatMap(rowsOf),
    {
      label: 'time',
      cells: runs.map((r) => {
        const s = runSeconds(r);
        return s === null ? '—' : `${s.toFixed(1)} s`;
      }),
    },
    { label: 'peak memory', cells: runs.map((r) => (r.peakRss ? `${(r.peakRss / 2 ** 20).toFixed(0)} MiB` : '—')) },
    { label: 'ep', cells: runs.map((r) => r.ep ?? '—') },
  ];
  if (runs.some((r) => r.parent)) rows.push({ label: 'parent run', cells: runs.map((r) => (r.parent ? `#${r.parent.id} ${r.parent.kind}` : '—')) });
  return rows;
}

/** One line on what the perplexities were measured on: the protocol they share, or that they differ. */
export function protocolNote(runs: ComparedRun[]): string | null {
  const ps = runs.map((r) => shownMetrics(r).find((x) => x.name === 'ppl' && x.task === null)).filter((m): m is Shown => m !== undefined);
  if (ps.length === 0) return null;
  const keys = [...new Set(ps.map((m) => (m.protocol ? protocolKey(m.protocol) : 'not recorded')))];
  if (keys.length > 1) return `perplexities measured under different protocols (${keys.join('; ')}): not comparable with each other`;
  const p = ps[0].protocol;
  return `perplexity: ${p ? protocolLabel(p) : 'protocol not recorded'}; ± standard error (per-window NLLs); Δ vs dense ± √(se₁² + se₂²)`;
}

export function formatComparison(runs: ComparedRun[], opts: ComparisonOptions = {}): string {
  const titles = opts.titles ?? runs.map((r) => `#${r.id} ${r.name}`);
  const rows = comparisonRows(runs, opts.extraRows);
  const labelWidth = Math.max(6, ...rows.map((r) => r.label.length));
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => r.cells[i].length)));
  const line = (label: string, cells: string[]) => [label.padEnd(labelWidth), ...cells.map((c, i) => c.padStart(widths[i]))].join('  ').trimEnd();
  const note = protocolNote(runs);
  return [
    line('', titles),
    line(
      '',
      widths.map((w) => '-'.repeat(w)),
    ),
    ...rows.map((r) => line(r.label, r.cells)),
    ...(note ? ['', note] : []),
  ].join('\n');
}
