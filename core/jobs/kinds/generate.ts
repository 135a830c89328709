// `generate`: greedy continuation of a prompt with the KV cache, on a dense or sliced model. The run keeps
// the text as its result and the speed as metrics; each new token is streamed as a progress message.
import type { ExecutionProvider } from '../../runtime/contract';
import { defineJob, type RunRecords } from '../registry';
import { object, optional, positiveInteger, string, type Validator } from '../../base/validate';
import { executionProvider, inRange, modelFolder, RssPeak } from './common';

export interface GenerateParams {
  model: string;
  prompt: string;
  maxNewTokens: number;
  ep: ExecutionProvider;
}

const shape = object({ model: modelFolder, prompt: string, maxNewTokens: optional(positiveInteger), ep: optional(executionProvider) });

export const generateParams: Validator<GenerateParams> = {
  describe: 'generation parameters',
  check(value, where) {
    const p = shape.check(value, where);
    inRange(`${where}.maxNewTokens`, p.maxNewTokens, 1, 1 << 16);
    return { ...p, maxNewTokens: p.maxNewTokens ?? 64, ep: p.ep ?? 'cpu' };
  },
};

export interface GenerateJobResult {
  prompt: string;
  /** Prompt and continuation, decoded together. */
  text: string;
  completion: string;
  promptTokens: number;
  newTokens: number;
  prefillSeconds: number;
  decodeSeconds: number;
  tokensPerSecond: number;
  ep: ExecutionProvider;
  peakRssBytes: number;
}

export const generateJob = defineJob({
  kind: 'generate',
  runKind: 'generate',
  summary: 'Greedy text generation with a KV cache (dense or sliced model)',
  params: generateParams,
  describe: (p) => `generate ${p.model.split(/[\\/]/).pop()}: ${p.prompt.length > 30 ? `${p.prompt.slice(0, 30)}…` : p.prompt}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  async run(ctx, p): Promise<GenerateJobResult> {
    const { generate } = await import('../../runtime/generate');
    const { openAnyModel } = await import('../../slicegpt/open');
    ctx.progress({ phase: 'load', fraction: 0, message: `opening ${p.model}` });
    const model = await openAnyModel(p.model);
    const rss = new RssPeak();
    const r = await generate({ model, prompt: p.prompt, maxNewTokens: p.maxNewTokens, ep: p.ep }, ctx).finally(() => rss.stop());
    return {
      prompt: p.prompt,
      text: r.text,
      completion: r.completion,
      promptTokens: r.promptTokens,
      newTokens: r.ids.length,
      prefillSeconds: r.prefillSeconds,
      decodeSeconds: r.decodeSeconds,
      tokensPerSecond: r.tokensPerSecond,
      ep: p.ep,
      peakRssBytes: rss.stop(),
    };
  },
  records: (r): RunRecords => ({
    metrics: [
      { name: 'new_tokens', value: r.newTokens, unit: 'tokens' },
      { name: 'prompt_tokens', value: r.promptTokens, unit: 'tokens' },
      { name: 'decode_tokens_per_second', value: r.tokensPerSecond, unit: 'tokens/s' },
      { name: 'prefill_seconds', value: r.prefillSeconds, unit: 's' },
    ],
    peakRss: r.peakRssBytes,
    ep: r.ep,
  }),
});
