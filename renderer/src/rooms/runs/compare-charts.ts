// The comparison's five charts as Chart.js configurations, built from the runs' facts alone (no DOM, no
// Chart instance), so what each chart plots is unit-tested apart from drawing it. Task display names come
// in as a function: the comparison owns where names come from.
import { colour, type ChartConfiguration } from '../../lib/charts';
import { phaseTotals, type RunFacts } from '../../lib/run-facts';

export const runLabel = (r: RunFacts): string => `#${r.id} ${r.name}`;

const legendBelow = { legend: { position: 'bottom' as const } };

/**
 * The dense points at 0 % for the perplexity chart: per slices' source folder, the newest finished
 * perplexity of that folder (a run among the compared ones, or any recorded one in `all`), unless it is
 * already one of the compared runs with a perplexity.
 */
export function densePoints(runs: RunFacts[], all: RunFacts[]): RunFacts[] {
  const withPpl = runs.filter((r) => r.perplexity !== null);
  const denseOf = (modelPath: string | null): RunFacts | null =>
    modelPath === null ? null : ([...runs, ...all].filter((r) => r.kind !== 'slice' && r.status === 'done' && r.modelPath === modelPath && r.perplexity !== null).sort((a, b) => b.id - a.id)[0] ?? null);
  return [...new Set(withPpl.filter((r) => r.kind === 'slice' || (r.ratio ?? 0) > 0).map((r) => r.modelPath))].map(denseOf).filter((d): d is RunFacts => d !== null && !withPpl.some((r) => r.id === d.id));
}

/** Perplexity against slicing ratio (%), one line per model; the dense points sit at 0 %. */
export function perplexityChart(runs: RunFacts[], dense: RunFacts[]): ChartConfiguration {
  const points = [...runs.filter((r) => r.perplexity !== null), ...dense];
  const models = [...new Set(points.map((r) => r.model))];
  return {
    type: 'scatter',
    data: {
      datasets: models.map((m, i) => ({
        label: m,
        data: points
          .filter((r) => r.model === m)
          .map((r) => ({ x: (dense.includes(r) ? 0 : (r.ratio ?? 0)) * 100, y: r.perplexity! }))
          .sort((a, b) => a.x - b.x),
        showLine: true,
        borderColor: colour(i),
        backgroundColor: colour(i),
        pointRadius: 5,
      })),
    },
    options: {
      scales: {
        x: { title: { display: true, text: 'slicing ratio (%) — 0 % is the dense model' }, min: 0 },
        y: { title: { display: true, text: 'perplexity' } },
      },
      plugins: legendBelow,
    },
  };
}

/** Accuracy (%) per task, one bar per run; a task a run was not evaluated on is a gap (null), not 0. */
export function accuracyChart(runs: RunFacts[], tasks: string[], taskLabel: (task: string) => string): ChartConfiguration {
  return {
    type: 'bar',
    data: {
      labels: tasks.map(taskLabel),
      datasets: runs.map((r, i) => ({
        label: runLabel(r),
        data: tasks.map((t) => (r.tasks[t] === undefined ? null : +(r.tasks[t] * 100).toFixed(2))),
        backgroundColor: colour(i),
      })),
    },
    options: { scales: { y: { title: { display: true, text: 'accuracy (%)' }, suggestedMin: 0, suggestedMax: 100 } }, plugins: legendBelow },
  };
}

/** Kept variance (%) per layer for the runs that recorded it; each run keeps its colour from the table. */
export function varianceChart(runs: RunFacts[]): ChartConfiguration {
  const withLayers = runs.filter((r) => r.keptVariance.length > 0);
  const layers = [...new Set(withLayers.flatMap((r) => r.keptVariance.map((k) => k.layer)))].sort((a, b) => a - b);
  return {
    type: 'line',
    data: {
      labels: layers.map((l) => (l < 0 ? 'emb' : String(l + 1))),
      datasets: withLayers.map((r) => {
        const i = runs.indexOf(r);
        return {
          label: runLabel(r),
          data: layers.map((l) => {
            const k = r.keptVariance.find((x) => x.layer === l);
            return k ? +(k.value * 100).toFixed(3) : null;
          }),
          borderColor: colour(i),
          backgroundColor: colour(i),
          pointRadius: 4,
        };
      }),
    },
    options: { scales: { y: { title: { display: true, text: 'kept variance (%)' } }, x: { title: { display: true, text: 'layer' } } }, plugins: legendBelow },
  };
}

/** Seconds per phase, stacked horizontally per run (a resumed run's repeated phases summed). */
export function phaseChart(runs: RunFacts[]): ChartConfiguration {
  const phases = [...new Set(runs.flatMap((r) => r.phases.map((p) => p.phase)))];
  const totals = runs.map(phaseTotals);
  return {
    type: 'bar',
    data: {
      labels: runs.map(runLabel),
      datasets: phases.map((p, j) => ({ label: p, data: totals.map((t) => +(t[p] ?? 0).toFixed(3)), backgroundColor: colour(j) })),
    },
    options: {
      indexAxis: 'y',
      scales: { x: { stacked: true, title: { display: true, text: 'seconds' } }, y: { stacked: true } },
      plugins: legendBelow,
    },
  };
}

/** Peak resident memory (MiB) of the runs that recorded it, in each run's table colour. */
export function memoryChart(runs: RunFacts[]): ChartConfiguration {
  const withMemory = runs.filter((r) => r.peakRss !== null);
  return {
    type: 'bar',
    data: {
      labels: withMemory.map(runLabel),
      datasets: [
        {
          label: 'peak resident memory (MiB)',
          data: withMemory.map((r) => +(r.peakRss! / 2 ** 20).toFixed(1)),
          backgroundColor: withMemory.map((r) => colour(runs.indexOf(r))),
        },
      ],
    },
    options: { scales: { y: { title: { display: true, text: 'MiB' }, beginAtZero: true } }, plugins: { legend: { display: false } } },
  };
}
