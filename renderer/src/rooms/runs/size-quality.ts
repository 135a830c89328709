// Perplexity against file size for every GGUF export of a model (each slice × quantization, the dense model's
// exports included), with the Pareto front: the exports no other export beats on both size and perplexity.
// Points come from export runs that recorded llama.cpp's perplexity (`export --ppl`, metric ppl_llamacpp);
// only points under one protocol are drawn together.
import type { RunDetail } from '../../../../core/api/contract';
import { protocolKey } from '../../../../core/runtime/ppl-protocol';
import { colour, type ChartConfiguration } from '../../lib/charts';

export interface SizeQualityPoint {
  runId: number;
  /** The exported folder (a dense model or a slice). */
  model: string;
  dtype: string;
  bytes: number;
  ppl: number;
  protocol: string;
}

export function sizeQualityPoints(runs: RunDetail[]): SizeQualityPoint[] {
  return runs.flatMap((r) => {
    const ppl = r.kind === 'export' && r.status === 'done' ? r.metrics.find((m) => m.name === 'ppl_llamacpp' && m.protocol) : undefined;
    const art = r.artifacts.find((a) => a.format.startsWith('gguf'));
    if (!ppl?.protocol || !art) return [];
    const model =
      String((r.settings as { model?: unknown }).model ?? '')
        .split(/[\\/]/)
        .pop() ?? '';
    return [{ runId: r.id, model, dtype: art.format.split(':')[1] ?? 'f16', bytes: art.bytes ?? 0, ppl: ppl.value, protocol: protocolKey(ppl.protocol) }];
  });
}

/** The points no other point beats on both axes (smaller and better), by size. */
export function paretoFront(points: SizeQualityPoint[]): SizeQualityPoint[] {
  const sorted = [...points].sort((a, b) => a.bytes - b.bytes || a.ppl - b.ppl);
  const front: SizeQualityPoint[] = [];
  for (const p of sorted) if (!front.length || p.ppl < front[front.length - 1].ppl) front.push(p);
  return front;
}

/** One dataset per exported folder (dense and each slice), and the Pareto front as a line. */
export function sizeQualityChart(points: SizeQualityPoint[]): ChartConfiguration {
  const models = [...new Set(points.map((p) => p.model))];
  const mib = (b: number) => b / 2 ** 20;
  return {
    type: 'scatter',
    data: {
      datasets: [
        ...models.map((m, i) => ({
          label: m,
          data: points.filter((p) => p.model === m).map((p) => ({ x: mib(p.bytes), y: p.ppl, label: p.dtype })),
          borderColor: colour(i),
          backgroundColor: colour(i),
          pointRadius: 5,
        })),
        { label: 'Pareto front', data: paretoFront(points).map((p) => ({ x: mib(p.bytes), y: p.ppl })), showLine: true, borderColor: '#888', backgroundColor: '#888', pointRadius: 0 },
      ],
    },
    options: {
      scales: {
        x: { title: { display: true, text: 'GGUF file size (MiB)' } },
        y: { title: { display: true, text: 'perplexity in llama.cpp' } },
      },
      plugins: { legend: { position: 'bottom' as const } },
    },
  };
}
