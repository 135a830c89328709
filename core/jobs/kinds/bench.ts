// `bench`: speed of a dense or sliced model with the KV cache (core/eval/speed.ts), at the shapes of
// `npm run bench -- infer-speed` through the same measureShapes: prefill tokens/s at batch 1 and B with long
// prompts, decode ms/token at batch 1 and B′ after a short prompt, and peak memory. Every point is a metric
// with its batch in `task` ('batch 1', 'batch 8') so the compare view can put batch sizes side by side.
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
  /** Both larger batches, where prefillBatch / decodeBatch are not given. */
  batch?: number;
  /** Prefill: prompt length and the larger batch (defaults sized for the model, eval/speed.ts speedShapes). */
  promptTokens?: number;
  prefillBatch?: number;
  /** Decoding: prompt length before it, the larger batch, timed steps. */
  decodePrompt?: number;
  decodeBatch?: number;
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
  prefillBatch: optional(positiveInteger),
  decodePrompt: optional(positiveInteger),
  decodeBatch: optional(positiveInteger),
  newTokens: optional(positiveInteger),
  repeats: optional(positiveInteger),
  ep: optional(executionProvider),
  dtype: optional(literal('f16', 'f32', 'auto')),
  vramGb: optional(number),
});

export const benchParams = paramsFrom('speed bench parameters', shape, (p, where): BenchParams => {
  for (const k of ['batch', 'prefillBatch', 'decodeBatch'] as const) inRange(`${where}.${k}`, p[k], 1, 1024);
  inRange(`${where}.repeats`, p.repeats, 1, 100);
  inRange(`${where}.vramGb`, p.vramGb, 0.1, 10000, false);
  return { ...p, ep: p.ep ?? 'cpu' };
});

export interface BenchJobResult extends Omit<BenchResult, 'model'> {
  model: ModelSummary;
  peakRssBytes: number;
}

export const benchJob = defineJob({
  kind: 'bench',
  runKind: 'bench',
  summary: 'Speed: prefill tokens/s at batch 1 and B (long prompts), decode ms/token at batch 1 and B′ (short prompt), peak memory',
  cli: {
    positionalLabel: 'a model folder (dense or sliced)',
    flags: {
      batch: { min: 1, max: 1024 },
      prefillBatch: { min: 1, max: 1024 },
      decodeBatch: { min: 1, max: 1024 },
      promptTokens: { min: 1, max: 1 << 20 },
      decodePrompt: { min: 1, max: 1 << 20 },
      newTokens: { min: 1, max: 1 << 20 },
      repeats: { min: 1, max: 100 },
      vramGb: { min: 0, max: 1 << 20, value: 'G' },
    },
  },
  params: benchParams,
  describe: (p) => `bench ${basename(p.model)}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  async run(ctx, p): Promise<BenchJobResult> {
    const { bench } = await import('../../eval/speed');
    const model = await summarizeModel(p.model);
    return measuringRss(async () => ({
      ...(await bench(ctx, { ...p })),
      model,
    }));
  },
  records(r): RunRecords {
    const metrics: MetricInput[] = [];
    // Every point, task 'batch N': prefill and decode share batch 1 but not a metric name.
    for (const b of r.prefill) metrics.push({ name: 'prefill_tokens_per_second', value: b.tokensPerSecond!, unit: 'tokens/s', task: `batch ${b.batch}` });
    for (const b of r.decode) {
      metrics.push({ name: 'decode_ms_per_token', value: b.msPerToken!, unit: 'ms', task: `batch ${b.batch}` });
      metrics.push({ name: 'decode_tokens_per_second', value: b.tokensPerSecond!, unit: 'tokens/s', task: `batch ${b.batch}` });
    }
    metrics.push({ name: 'peak_rss', value: r.peakRssBytes, unit: 'bytes' });
    metrics.push(...modelMetrics(r.model));
    return { metrics, peakRss: r.peakRssBytes, ep: r.ep };
  },
});
