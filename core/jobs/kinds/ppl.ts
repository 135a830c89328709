// `ppl`: perplexity of a dense or sliced model folder by the SliceGPT protocol (WikiText-2 test, windows of
// seqlen tokens, each scored alone). The run keeps ppl, tokens, windows, seqlen and tokens/s as metrics.
import { resolve } from 'node:path';
import type { JobContext } from '../context';
import { defineJob, type RunRecords } from '../registry';
import { nonEmptyString, object, optional, positiveInteger, type Validator } from '../../api/validate';
import type { ExecutionProvider } from '../../runtime/contract';
import type { MetricInput } from '../../store/types';
import type { PerplexityResult } from '../../runtime/perplexity';
import { executionProvider, inRange, modelFolder, measuringRss, summarizeModel, type ModelSummary } from './common';

export interface PplParams {
  model: string;
  /** 'wikitext2' (the test split, the protocol's corpus) or any dataset spec core/data/open.ts accepts. */
  dataset: string;
  seqlen: number;
  maxWindows?: number;
  /** Windows per block run. */
  batch?: number;
  ep: ExecutionProvider;
}

const shape = object({
  model: modelFolder,
  dataset: optional(nonEmptyString),
  seqlen: optional(positiveInteger),
  maxWindows: optional(positiveInteger),
  batch: optional(positiveInteger),
  ep: optional(executionProvider),
});

export const pplParams: Validator<PplParams> = {
  describe: 'perplexity parameters',
  check(value, where) {
    const p = shape.check(value, where);
    inRange(`${where}.seqlen`, p.seqlen, 2, 1 << 20);
    const dataset = p.dataset ?? 'wikitext2';
    return { ...p, dataset: datasetSpec(dataset), seqlen: p.seqlen ?? 256, ep: p.ep ?? 'cpu' };
  },
};

/** Named datasets stay names; a local file becomes an absolute path (the run records where it was). */
export function datasetSpec(d: string): string {
  return /^(wikitext2(:\w+)?|alpaca|hub:.*)$/.test(d) ? d : resolve(d);
}

export type PplJobResult = PerplexityResult & {
  model: ModelSummary;
  dataset: string;
  ep: ExecutionProvider;
  peakRssBytes: number;
};

/** Perplexity of an open or named model; shared with the eval job's optional `ppl: true`. */
export async function runPerplexity(ctx: JobContext, p: Omit<PplParams, 'model'> & { model: string }): Promise<Omit<PplJobResult, 'model' | 'peakRssBytes'>> {
  const { perplexity } = await import('../../runtime/perplexity');
  const { openAnyModel } = await import('../../slicegpt/open');
  ctx.progress({ phase: 'load', fraction: 0, message: `opening ${p.model}` });
  const source = await openAnyModel(p.model);
  let rows: string[] | undefined;
  if (!(p.dataset === 'wikitext2' || p.dataset === 'wikitext2:test')) {
    const { openDataset } = await import('../../data/open');
    rows = (await openDataset(p.dataset)).rows;
  }
  const r = await perplexity({ model: source, rows, seqLen: p.seqlen, maxWindows: p.maxWindows, batch: p.batch, ep: p.ep }, ctx);
  ctx.log(`perplexity ${r.ppl.toFixed(3)} over ${r.windows} windows of ${r.seqLen} tokens (${r.tokensPerSecond.toFixed(0)} tokens/s)`);
  return { dataset: p.dataset, ppl: r.ppl, meanNll: r.meanNll, windows: r.windows, seqLen: r.seqLen, tokens: r.tokens, seconds: r.seconds, tokensPerSecond: r.tokensPerSecond, ep: p.ep };
}

export function pplMetrics(r: Pick<PplJobResult, 'ppl' | 'tokens' | 'windows' | 'seqLen' | 'tokensPerSecond'>): MetricInput[] {
  return [
    { name: 'ppl', value: r.ppl },
    { name: 'tokens', value: r.tokens, unit: 'tokens' },
    { name: 'windows', value: r.windows },
    { name: 'seqlen', value: r.seqLen, unit: 'tokens' },
    { name: 'tokens_per_second', value: r.tokensPerSecond, unit: 'tokens/s' },
  ];
}

export function modelMetrics(m: ModelSummary): MetricInput[] {
  return [
    { name: 'd', value: m.d },
    { name: 'params', value: m.params },
  ];
}

export const pplJob = defineJob({
  kind: 'ppl',
  runKind: 'ppl',
  summary: 'WikiText-2 perplexity of a dense or sliced model (the SliceGPT protocol)',
  params: pplParams,
  describe: (p) => `ppl ${p.model.split(/[\\/]/).pop()}${p.dataset === 'wikitext2' ? '' : ` on ${p.dataset}`}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  async run(ctx, p): Promise<PplJobResult> {
    const model = await summarizeModel(p.model);
    return measuringRss(async () => ({ model, ...(await runPerplexity(ctx, p)) }));
  },
  records: (r): RunRecords => ({
    metrics: [...pplMetrics(r), ...modelMetrics(r.model), { name: 'seconds', value: r.seconds, unit: 's' }],
    peakRss: r.peakRssBytes,
    ep: r.ep,
  }),
});
