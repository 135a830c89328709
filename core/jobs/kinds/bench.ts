// `bench`: speed of a dense or sliced model with the KV cache (core/eval/speed.ts): prefill tokens/s and
// decode ms/token at batch 1 and a larger batch, and peak memory. Metrics carry the batch in `task`
// ('batch 1', 'batch 8') so one chart can put batch sizes side by side.
import { basename } from 'node:path';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { literal, number, object, optional, positiveInteger } from '../../base/validate';
import type { ExecutionProvider } from '../../runtime/contract';
import type { BenchResult } from '../../eval/speed';
import type { MetricInput } from '../../store/types';
import { executionProvider, inRange, modelFolder, measuringRss, summarizeModel, type ModelSummary } from './common';
import { modelMetrics } from './ppl';

export interface BenchParams {
  model: string;
  batch: number;
  promptTokens?: number;
  newTokens?: number;
  repeats?: number;
  ep: ExecutionProvider;
  /** Element type on a GPU EP ('auto': float16 there); see runtime/inference-plan.ts. */
  dtype?: 'f16' | 'f32' | 'auto';
  /** VRAM budget (GB) for the resident/streamed choice. */
  vramGb?: number;
}

const shape = object({
  model: modelFolder,
  batch: optional(positiveInteger),
  promptTokens: optional(positiveInteger),
  newTokens: optional(positiveInteger),
  repeats: optional(positiveInteger),
  ep: optional(executionProvider),
  dtype: optional(literal('f16', 'f32', 'auto')),
  vramGb: optional(number),
});

export const benchParams = paramsFrom('speed bench parameters', shape, (p, where): BenchParams => {
  inRange(`${where}.batch`, p.batch, 1, 1024);
  inRange(`${where}.repeats`, p.repeats, 1, 100);
  inRange(`${where}.vramGb`, p.vramGb, 0.1, 10000, false);
  return { ...p, batch: p.batch ?? 8, ep: p.ep ?? 'cpu' };
});

export interface BenchJobResult extends Omit<BenchResult, 'model'> {
  model: ModelSummary;
  peakRssBytes: number;
}

export const benchJob = defineJob({
  kind: 'bench',
  runKind: 'bench',
  summary: 'Speed: prefill tokens/s and decode ms/token at batch 1 and N, peak memory',
  cli: {
    positionalLabel: 'a model folder (dense or sliced)',
    flags: { batch: { min: 1, max: 1024 }, promptTokens: { min: 1, max: 1 << 20 }, newTokens: { min: 1, max: 1 << 20 }, repeats: { min: 1, max: 100 }, vramGb: { min: 0, max: 1 << 20, value: 'G' } },
  },
  params: benchParams,
  describe: (p) => `bench ${basename(p.model)} (batch ${p.batch})`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  async run(ctx, p): Promise<BenchJobResult> {
    const { bench } = await import('../../eval/speed');
    const model = await summarizeModel(p.model);
    return measuringRss(async () => ({
      ...(await bench(ctx, { model: p.model, batch: p.batch, promptTokens: p.promptTokens, newTokens: p.newTokens, repeats: p.repeats, ep: p.ep, dtype: p.dtype, vramGb: p.vramGb })),
      model,
    }));
  },
  records(r): RunRecords {
    const metrics: MetricInput[] = [];
    for (const b of r.results) {
      const task = `batch ${b.batch}`;
      metrics.push({ name: 'prefill_tokens_per_second', value: b.prefill.tokensPerSecond, unit: 'tokens/s', task });
      metrics.push({ name: 'decode_ms_per_token', value: b.decode.msPerToken, unit: 'ms', task });
      metrics.push({ name: 'decode_tokens_per_second', value: b.decode.tokensPerSecond, unit: 'tokens/s', task });
    }
    metrics.push({ name: 'peak_rss', value: r.peakRssBytes, unit: 'bytes' });
    metrics.push(...modelMetrics(r.model));
    return { metrics, peakRss: r.peakRssBytes, ep: r.ep };
  },
});
