// The comparison as CSV: one row per run, full-precision numbers (the screen rounds, the file does not).
import { phaseTotals, type RunFacts } from './run-facts';

const cell = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export function comparisonCsv(runs: RunFacts[]): string {
  const tasks = [...new Set(runs.flatMap((r) => Object.keys(r.tasks)))].sort();
  const phases = [...new Set(runs.flatMap((r) => r.phases.map((p) => p.phase)))];
  const header = [
    'run', 'name', 'kind', 'status', 'model', 'ratio', 'd', 'dataset', 'perplexity', 'avg_accuracy',
    ...tasks.map((t) => `acc_${t}`), 'seconds', 'peak_rss_bytes', ...phases.map((p) => `phase_${p}_seconds`),
  ];
  const rows = runs.map((r) => {
    const t = phaseTotals(r);
    return [
      r.id, r.name, r.kind, r.status, r.modelPath ?? r.model, r.ratio, r.d, r.dataset, r.perplexity, r.avgAccuracy,
      ...tasks.map((k) => r.tasks[k]), r.seconds, r.peakRss, ...phases.map((p) => t[p]),
    ];
  });
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
