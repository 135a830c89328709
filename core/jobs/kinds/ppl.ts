// `ppl`: perplexity of a dense or sliced model folder by the SliceGPT protocol (WikiText-2 test, windows of
// seqlen tokens, each scored alone), by default the first 64 windows of 256 tokens (ppl-protocol.ts;
// `allWindows` for the whole set). The run keeps ppl (with its protocol and standard error), tokens,
// windows, seqlen and tokens/s as metrics.
import { basename, resolve } from 'node:path';
import type { JobContext } from '../../base/job-context';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { boolean, nonEmptyString, object, optional, PayloadError, positiveInteger } from '../../base/validate';
import { DEFAULT_PPL_SEQLEN, DEFAULT_PPL_WINDOWS, pplProtocol, protocolLabel, type PplProtocol } from '../../runtime/ppl-protocol';
import type { ExecutionProvider } from '../../runtime/contract';
import type { MetricInput } from '../../store/types';
import type { PerplexityResult } from '../../runtime/perplexity';
import { executionProvider, inRange, modelFolder, measuringRss, summarizeModel, type ModelSummary } from './common';

export interface PplParams {
  model: string;
  /** 'wikitext2' (the test split, the protocol's corpus) or any dataset spec core/data/open.ts accepts. */
  dataset: string;
  seqlen: number;
  /** Score the first n windows (default DEFAULT_PPL_WINDOWS)… */
  maxWindows?: number;
  /** …or every window of the corpus. */
  allWindows?: boolean;
  /** Windows per block run. */
  batch?: number;
  ep: ExecutionProvider;
  /** A dense folder to measure the same way afterwards (set by the service: the slice's baseline). */
  baseline?: string;
}

const shape = object({
  model: modelFolder,
  dataset: optional(nonEmptyString),
  seqlen: optional(positiveInteger),
  maxWindows: optional(positiveInteger),
  allWindows: optional(boolean),
  batch: optional(positiveInteger),
  ep: optional(executionProvider),
  baseline: optional(modelFolder),
});

export const pplParams = paramsFrom('perplexity parameters', shape, (p, where): PplParams => {
  inRange(`${where}.seqlen`, p.seqlen, 2, 1 << 20);
  const dataset = p.dataset ?? 'wikitext2';
  if (p.allWindows && p.maxWindows !== undefined) throw new PayloadError(`${where}: maxWindows and allWindows exclude each other`);
  return { ...p, dataset: datasetSpec(dataset), seqlen: p.seqlen ?? DEFAULT_PPL_SEQLEN, ...windowsParam(p), ep: p.ep ?? 'cpu' };
});

/** The default protocol's window count unless all windows (or another count) were asked for. */
export function windowsParam(p: { maxWindows?: number; allWindows?: boolean }): { maxWindows?: number; allWindows?: boolean } {
  return p.allWindows ? { allWindows: true } : { maxWindows: p.maxWindows ?? DEFAULT_PPL_WINDOWS };
}

/** Named datasets stay names; a local file becomes an absolute path (the run records where it was). */
export function datasetSpec(d: string): string {
  return /^(wikitext2(:\w+)?|alpaca|hub:.*)$/.test(d) ? d : resolve(d);
}

export type PplJobResult = PerplexityResult & {
  protocol: PplProtocol;
  model: ModelSummary;
  dataset: string;
  ep: ExecutionProvider;
  peakRssBytes: number;
  /** The dense model measured the same way (when the store had no such measurement). */
  baseline?: Omit<PplJobResult, 'baseline' | 'peakRssBytes'>;
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
  const r = await perplexity({ model: source, rows, seqLen: p.seqlen, maxWindows: p.allWindows ? undefined : (p.maxWindows ?? DEFAULT_PPL_WINDOWS), batch: p.batch, ep: p.ep }, ctx);
  const protocol = pplProtocol(p.dataset, r.seqLen, r.windows, r.corpusWindows);
  ctx.log(`perplexity ${r.ppl.toFixed(3)} ± ${r.pplStderr.toFixed(3)} on ${protocolLabel(protocol)} (${r.tokensPerSecond.toFixed(0)} tokens/s)`);
  return { ...r, dataset: p.dataset, protocol, ep: p.ep };
}

export function pplMetrics(r: Pick<PplJobResult, 'ppl' | 'pplStderr' | 'protocol' | 'tokens' | 'windows' | 'seqLen' | 'tokensPerSecond'>): MetricInput[] {
  return [
    { name: 'ppl', value: r.ppl, stderr: Number.isFinite(r.pplStderr) ? r.pplStderr : null, protocol: r.protocol },
    { name: 'tokens', value: r.tokens, unit: 'tokens' },
    { name: 'windows', value: r.windows },
    { name: 'seqlen', value: r.seqLen, unit: 'tokens' },
    { name: 'tokens_per_second', value: r.tokensPerSecond, unit: 'tokens/s' },
  ];
}

const pplRunMetrics = (r: Omit<PplJobResult, 'baseline' | 'peakRssBytes'>): MetricInput[] => [...pplMetrics(r), ...modelMetrics(r.model), { name: 'seconds', value: r.seconds, unit: 's' }];

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
  cli: { positionalLabel: 'a model folder', flags: { dataset: { value: 'wikitext2|<file>' }, seqlen: { min: 2, max: 1 << 20 }, maxWindows: { min: 1, max: 1 << 30 }, batch: { min: 1, max: 4096 }, baseline: { hidden: true } } },
  params: pplParams,
  describe: (p) => `ppl ${p.model.split(/[\\/]/).pop()}${p.dataset === 'wikitext2' ? '' : ` on ${p.dataset}`}${p.allWindows ? ' (all windows)' : ''}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  async run(ctx, p): Promise<PplJobResult> {
    const model = await summarizeModel(p.model);
    return measuringRss(async () => {
      const r = { model, ...(await runPerplexity(ctx, p)) };
      if (!p.baseline) return r;
      ctx.log(`measuring the dense model ${p.baseline} the same way (once per protocol: the baseline of this slice)`);
      return { ...r, baseline: { model: await summarizeModel(p.baseline), ...(await runPerplexity(ctx, { ...p, model: p.baseline })) } };
    });
  },
  records: (r): RunRecords => ({
    metrics: pplRunMetrics(r),
    peakRss: r.peakRssBytes,
    ep: r.ep,
    ...(r.baseline
      ? {
          baselineRun: {
            kind: 'ppl',
            name: `dense baseline: ppl ${basename(r.baseline.model.folder)}`,
            settings: { job: 'ppl', model: r.baseline.model.folder, dataset: r.dataset, seqlen: r.seqLen },
            metrics: pplRunMetrics(r.baseline),
          },
        }
      : {}),
  }),
});
