// Dense vs sliced speed in the comparison: the compared `bench` runs' decode and prefill tokens/s per batch
// size (metrics the bench job records, task 'batch N'; prefill and decode each at their own batches and prompt
// lengths, eval/speed.ts speedShapes), each run labelled with its model folder and where
// its weights lived (the inference plan in its result), so a resident float16 run is never read as a CPU one.
import { colour, type ChartConfiguration } from '../../lib/charts';
import type { RunDetail } from '../../../../core/api/contract';

export interface SpeedPoint {
  runId: number;
  /** The benchmarked folder's name. */
  model: string;
  /** The plan's one line ('resident on the webgpu device (f16): …'), or null for runs before plans. */
  placement: string | null;
  ep: string | null;
  /** Batch size → tokens/s. */
  decode: Record<number, number>;
  prefill: Record<number, number>;
  /** Batch size → ms per decoding step. */
  msPerToken: Record<number, number>;
  /** Prompt lengths of the prefill and decode shapes (null for runs before separate shapes). */
  prompt: { prefill: number | null; decode: number | null };
}

const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});
const folderName = (p: string) =>
  p
    .replace(/[\\/]+$/, '')
    .split(/[\\/]/)
    .pop() ?? p;

/** The finished bench runs among `details`, in their order. */
export function speedPoints(details: RunDetail[]): SpeedPoint[] {
  return details
    .filter((r) => r.kind === 'bench' && r.status === 'done')
    .map((r) => {
      const result = obj(r.result);
      const model = obj(result.model);
      const plan = obj(result.plan);
      const shapes = obj(result.shapes);
      const num = (v: unknown) => (typeof v === 'number' ? v : null);
      const p: SpeedPoint = {
        runId: r.id,
        model: folderName(String(model.folder ?? r.settings.model ?? `run ${r.id}`)),
        placement: typeof plan.reason === 'string' ? plan.reason : null,
        ep: r.ep ?? null,
        decode: {},
        prefill: {},
        msPerToken: {},
        prompt: { prefill: num(shapes.promptTokens), decode: num(shapes.decodePrompt) },
      };
      for (const m of r.metrics) {
        const batch = Number(/^batch (\d+)$/.exec(m.task ?? '')?.[1]);
        if (!batch) continue;
        if (m.name === 'decode_tokens_per_second') p.decode[batch] = m.value;
        else if (m.name === 'prefill_tokens_per_second') p.prefill[batch] = m.value;
        else if (m.name === 'decode_ms_per_token') p.msPerToken[batch] = m.value;
      }
      return p;
    });
}

/** Grouped bars: one group per bench run, one bar per batch size, tokens/s of decoding or of the prompt pass. */
export function speedChart(points: SpeedPoint[], which: 'decode' | 'prefill'): ChartConfiguration {
  const batches = [...new Set(points.flatMap((p) => Object.keys(p[which]).map(Number)))].sort((a, b) => a - b);
  return {
    type: 'bar',
    data: {
      labels: points.map((p) => `#${p.runId} ${p.model}`),
      datasets: batches.map((b, j) => ({ label: `batch ${b}`, data: points.map((p) => (p[which][b] === undefined ? null : +p[which][b].toFixed(1))), backgroundColor: colour(j) })),
    },
    options: { scales: { y: { title: { display: true, text: `${which} tokens/s` }, beginAtZero: true } }, plugins: { legend: { position: 'bottom' } } },
  };
}
