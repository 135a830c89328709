// Runs side by side as plain text: one column per run, one row per metric (per task where there is one),
// then the model's width and size, wall-clock time and peak memory. Used by `runs compare` and the demo.
import type { ComparedRun } from '../api/contract';

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

/** A slice's settings as a reader asks for them: the ratio, and the calibration it was rotated by. */
function sliceRows(runs: ComparedRun[]): { label: string; cells: string[] }[] {
  if (!runs.some((r) => r.kind === 'slice')) return [];
  const s = (r: ComparedRun, k: string) => (r.kind === 'slice' ? r.settings[k] : undefined);
  return [
    { label: 'ratio', cells: runs.map((r) => (typeof s(r, 'ratio') === 'number' ? `${((s(r, 'ratio') as number) * 100).toFixed(0)}%` : '—')) },
    {
      label: 'calibration',
      cells: runs.map((r) =>
        r.kind === 'slice' && s(r, 'cal') !== undefined
          ? `${String(s(r, 'cal')).split(/[\\/]/).pop()} ${s(r, 'nsamples') ?? '?'}×${s(r, 'seqlen') ?? '?'} ${s(r, 'sampling') ?? ''}`.trim()
          : '—',
      ),
    },
  ];
}

export function comparisonRows(runs: ComparedRun[], extraRows: { label: string; cells: string[] }[] = []): { label: string; cells: string[] }[] {
  const keys: { name: string; task: string | null; label: string }[] = [];
  const seen = new Set<string>();
  for (const r of runs) {
    for (const m of r.metrics) {
      if (BOOKKEEPING.has(m.name)) continue;
      const label = m.task ? `${m.task} ${m.name}` : m.name;
      if (seen.has(label)) continue;
      seen.add(label);
      keys.push({ name: m.name, task: m.task, label });
    }
  }
  // Model size first, then quality, then speed: the order a reader asks in.
  const rank = (k: { name: string; task: string | null }) =>
    k.name === 'd' ? 0 : k.name === 'params' ? 1 : k.name === 'ppl' ? 2 : k.task && !k.task.startsWith('batch') ? 3 : k.name === 'average' ? 4 : 5;
  keys.sort((a, b) => rank(a) - rank(b));
  const metricRows = keys.map((k) => ({
    label: k.label,
    cells: runs.map((r) => {
      const m = r.metrics.find((x) => x.name === k.name && x.task === k.task);
      return m ? value(m.name, m.value) + (m.stderr && PERCENT.has(m.name) ? ` ±${(m.stderr * 100).toFixed(1)}` : '') : '—';
    }),
  }));
  const sizeRows = metricRows.filter((_, i) => rank(keys[i]!) <= 1).length;
  const rows = [
    { label: 'kind', cells: runs.map((r) => `${r.kind}${r.status === 'done' ? '' : ` (${r.status})`}`) },
    ...sliceRows(runs),
    ...metricRows.slice(0, sizeRows),
    ...extraRows,
    ...metricRows.slice(sizeRows),
    { label: 'time', cells: runs.map((r) => { const s = runSeconds(r); return s === null ? '—' : `${s.toFixed(1)} s`; }) },
    { label: 'peak memory', cells: runs.map((r) => (r.peakRss ? `${(r.peakRss / 2 ** 20).toFixed(0)} MiB` : '—')) },
    { label: 'ep', cells: runs.map((r) => r.ep ?? '—') },
  ];
  if (runs.some((r) => r.parent)) rows.push({ label: 'parent run', cells: runs.map((r) => (r.parent ? `#${r.parent.id} ${r.parent.kind}` : '—')) });
  return rows;
}

export function formatComparison(runs: ComparedRun[], opts: ComparisonOptions = {}): string {
  const titles = opts.titles ?? runs.map((r) => `#${r.id} ${r.name}`);
  const rows = comparisonRows(runs, opts.extraRows);
  const labelWidth = Math.max(6, ...rows.map((r) => r.label.length));
  const widths = titles.map((t, i) => Math.max(t.length, ...rows.map((r) => r.cells[i].length)));
  const line = (label: string, cells: string[]) => [label.padEnd(labelWidth), ...cells.map((c, i) => c.padStart(widths[i]))].join('  ').trimEnd();
  return [line('', titles), line('', widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(r.label, r.cells))].join('\n');
}
