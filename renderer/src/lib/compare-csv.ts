// The comparison as CSV: one row per run. Numbers keep far more precision than the screen (which rounds
// for reading) but not binary float noise: sums and means of stored values come out as 0.9570000000000003,
// so fractions are written with CSV_DIGITS significant digits; whole numbers (bytes, d) stay exact.
import { phaseTotals, protocolKey, type RunFacts } from './run-facts';

export const CSV_DIGITS = 10;

/** 0.9570000000000003 → 0.957; 186.54321987654321 → 186.5432199; 17930650 → 17930650. */
export function csvNumber(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(CSV_DIGITS)));
}

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? csvNumber(v) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function comparisonCsv(runs: RunFacts[]): string {
  const tasks = [...new Set(runs.flatMap((r) => Object.keys(r.tasks)))].sort();
  const phases = [...new Set(runs.flatMap((r) => r.phases.map((p) => p.phase)))];
  const header = [
    'run',
    'name',
    'kind',
    'status',
    'model',
    'ratio',
    'd',
    'dataset',
    'perplexity',
    'perplexity_stderr',
    'perplexity_protocol',
    'dense_perplexity',
    'dense_perplexity_stderr',
    'avg_accuracy',
    'dense_avg_accuracy',
    ...tasks.flatMap((t) => [`acc_${t}`, `acc_${t}_stderr`, `dense_acc_${t}`, `dense_acc_${t}_stderr`]),
    'seconds',
    'peak_rss_bytes',
    ...phases.map((p) => `phase_${p}_seconds`),
  ];
  const rows = runs.map((r) => {
    const t = phaseTotals(r);
    return [
      r.id,
      r.name,
      r.kind,
      r.status,
      r.modelPath ?? r.model,
      r.ratio,
      r.d,
      r.dataset,
      r.perplexity,
      r.pplStderr,
      r.pplProtocol ? protocolKey(r.pplProtocol) : null,
      r.baseline?.perplexity?.value,
      r.baseline?.perplexity?.stderr,
      r.avgAccuracy,
      r.baseline?.avgAccuracy,
      ...tasks.flatMap((k) => [r.tasks[k], r.taskStderr[k], r.baseline?.tasks[k]?.value, r.baseline?.tasks[k]?.stderr]),
      r.seconds,
      r.peakRss,
      ...phases.map((p) => t[p]),
    ];
  });
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
