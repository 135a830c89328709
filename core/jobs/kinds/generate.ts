// `generate`: a continuation of a prompt with the KV cache, on a dense or sliced model — greedy, or sampled
// with temperature / top-p and a seed — and, with `compare`, a second model's beside it (Try it: the dense
// model and its slice, one token each in turn). The run keeps the texts as its result and the speeds as
// metrics; each new token streams as a progress event carrying that model's continuation so far.
import type { ExecutionProvider } from '../../runtime/contract';
import type { SamplingOptions } from '../../runtime/sampling';
import type { PromptStyle } from '../../runtime/prompt';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { boolean, integer, literal, number, object, optional, PayloadError, positiveInteger, string } from '../../base/validate';
import type { MetricInput } from '../../store/types';
import { executionProvider, inRange, modelFolder, RssPeak } from './common';

export interface GenerateParams {
  model: string;
  /** A second model continuing the same prompt side by side (e.g. the slice of `model`). */
  compare?: string;
  prompt: string;
  maxNewTokens: number;
  ep: ExecutionProvider;
  /** 0 (default): greedy. */
  temperature: number;
  topP: number;
  seed: number;
  /** Apply the model's chat template where it has one. */
  chat: boolean;
  /** A prompt longer than the model's positions: refused ('error', default) or its start dropped ('left'). */
  truncate: 'error' | 'left';
  /** Element type on a GPU EP ('auto', the default: float16 there, float32 on the CPU). */
  dtype?: 'f16' | 'f32' | 'auto';
}

const shape = object({
  model: modelFolder,
  compare: optional(modelFolder),
  prompt: string,
  maxNewTokens: optional(positiveInteger),
  ep: optional(executionProvider),
  temperature: optional(number),
  topP: optional(number),
  seed: optional(integer),
  chat: optional(boolean),
  truncate: optional(literal('error', 'left')),
  dtype: optional(literal('f16', 'f32', 'auto')),
});

export const generateParams = paramsFrom('generation parameters', shape, (p, where): GenerateParams => {
  inRange(`${where}.maxNewTokens`, p.maxNewTokens, 1, 1 << 16);
  inRange(`${where}.temperature`, p.temperature, 0, 10, false);
  inRange(`${where}.seed`, p.seed, 0, 2 ** 32 - 1);
  if (p.topP !== undefined && !(p.topP > 0 && p.topP <= 1)) throw new PayloadError(`${where}.topP must be in (0, 1] (got ${p.topP})`);
  return {
    ...p,
    maxNewTokens: p.maxNewTokens ?? 64,
    ep: p.ep ?? 'cpu',
    temperature: p.temperature ?? 0,
    topP: p.topP ?? 1,
    seed: p.seed ?? 0,
    chat: p.chat ?? true,
    truncate: p.truncate ?? 'error',
  };
});

/** One model's continuation. */
export interface GeneratedText {
  model: string;
  /** Prompt and continuation, decoded together. */
  text: string;
  completion: string;
  promptTokens: number;
  newTokens: number;
  prefillSeconds: number;
  decodeSeconds: number;
  /** Tokens after the first (which the prompt pass makes) per decode second. */
  tokensPerSecond: number;
  /** 'chat' when the model's chat template shaped the prompt; `note` says which or why not. */
  style: PromptStyle;
  note: string;
  truncated: number;
  /** Where weights and KV cache lived and in which element type, in one line (runtime/inference-plan.ts). */
  placement: string;
}

export interface GenerateJobResult extends GeneratedText {
  prompt: string;
  /** Null when greedy. */
  sampling: SamplingOptions | null;
  /** The second model's continuation, with `compare`. */
  compared: GeneratedText | null;
  ep: ExecutionProvider;
  peakRssBytes: number;
}

export const generateJob = defineJob({
  kind: 'generate',
  runKind: 'generate',
  summary: 'Text generation with a KV cache, greedy or sampled (dense or sliced model; two side by side with compare)',
  cli: {
    positional: null,
    positionalUsage: '<model> | --compare <dense> <sliced>',
    flags: {
      model: { hidden: true },
      compare: { hidden: true },
      prompt: { value: 'TEXT', required: 'generate needs --prompt TEXT' },
      maxNewTokens: { min: 1, max: 65536 },
      temperature: { min: 0, max: 10 },
      topP: { min: 0, max: 1 },
      seed: { min: 0, max: 2 ** 32 - 1 },
      chat: { flag: 'raw', negate: true },
    },
  },
  params: generateParams,
  describe: (p) => `generate ${p.model.split(/[\\/]/).pop()}${p.compare ? ` vs ${p.compare.split(/[\\/]/).pop()}` : ''}: ${p.prompt.length > 30 ? `${p.prompt.slice(0, 30)}…` : p.prompt}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  async run(ctx, p): Promise<GenerateJobResult> {
    const { generateSideBySide } = await import('../../runtime/generate');
    const { openAnyModel } = await import('../../slicegpt/open');
    const folders = p.compare ? [p.model, p.compare] : [p.model];
    ctx.progress({ phase: 'load', fraction: 0, message: `opening ${folders.join(' and ')}` });
    const models = [];
    for (const f of folders) models.push(await openAnyModel(f));
    const sampling = p.temperature > 0 ? { temperature: p.temperature, topP: p.topP, seed: p.seed } : null;
    const rss = new RssPeak();
    const rs = await generateSideBySide(
      models,
      {
        prompt: p.prompt,
        maxNewTokens: p.maxNewTokens,
        ep: p.ep,
        sampling: sampling ?? undefined,
        chat: p.chat,
        truncate: p.truncate,
        dtype: p.dtype,
        // The whole continuation so far, not a delta: a view that missed an event still shows the right text.
        onText: (u) => ctx.progress({ phase: 'generate', data: { column: u.column, completion: u.completion, tokens: u.tokens, tokensPerSecond: u.tokensPerSecond } }),
      },
      ctx,
    ).finally(() => rss.stop());
    const [main, second] = rs.map((r, i): GeneratedText => ({
      model: folders[i],
      text: r.text,
      completion: r.completion,
      promptTokens: r.promptTokens,
      newTokens: r.ids.length,
      prefillSeconds: r.prefillSeconds,
      decodeSeconds: r.decodeSeconds,
      tokensPerSecond: r.tokensPerSecond,
      style: r.style,
      note: r.note,
      truncated: r.truncated,
      placement: r.plan.reason,
    }));
    return { ...main, prompt: p.prompt, sampling, compared: second ?? null, ep: p.ep, peakRssBytes: rss.stop() };
  },
  records: (r): RunRecords => ({
    metrics: [...speedMetrics(r, ''), ...(r.compared ? speedMetrics(r.compared, 'compared_') : [])],
    peakRss: r.peakRssBytes,
    ep: r.ep,
  }),
});

function speedMetrics(r: GeneratedText, prefix: string): MetricInput[] {
  return [
    { name: `${prefix}new_tokens`, value: r.newTokens, unit: 'tokens' },
    { name: `${prefix}prompt_tokens`, value: r.promptTokens, unit: 'tokens' },
    { name: `${prefix}decode_tokens_per_second`, value: r.tokensPerSecond, unit: 'tokens/s' },
    { name: `${prefix}prefill_seconds`, value: r.prefillSeconds, unit: 's' },
  ];
}
