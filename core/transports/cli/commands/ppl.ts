import type { PplJobResult } from '../../../jobs/kinds/ppl';
import { intFlag, stringFlag } from '../args';
import type { Command } from '../command';
import { epFlag, oneModel } from './shared/flags';
import { followJob, jobJson } from './shared/follow-job';
import { fmt, params } from './shared/format';

export const ppl: Command = {
  name: 'ppl',
  usage: 'ppl <model> [--dataset wikitext2] [--seqlen N] [--max-windows N] [--ep cpu|webgpu] [--json]',
  summary: 'WikiText-2 test perplexity of a dense or sliced model (the SliceGPT protocol), recorded as a run',
  flags: { values: ['dataset', 'seqlen', 'max-windows', 'batch', 'ep'] },
  async run(ctx) {
    const model = oneModel(ctx, 'ppl');
    const params_ = {
      model,
      dataset: stringFlag(ctx.args, 'dataset'),
      seqlen: intFlag(ctx.args, 'seqlen', 2, 1 << 20),
      maxWindows: intFlag(ctx.args, 'max-windows', 1, 1 << 30),
      batch: intFlag(ctx.args, 'batch', 1, 4096),
      ep: epFlag(ctx),
    };
    const service = await ctx.service();
    const f = await followJob(ctx, () => service.startJob({ kind: 'ppl', params: params_ }));
    if (ctx.json) ctx.out(jobJson(f));
    else if (f.code === 0) {
      const r = f.result as PplJobResult;
      ctx.out(
        `perplexity ${fmt(r.ppl)}  (${r.dataset === 'wikitext2' ? 'WikiText-2 test' : r.dataset}, ${r.windows} windows × ${r.seqLen} tokens, ` +
          `${fmt(r.tokensPerSecond, 0)} tokens/s on ${r.ep}; d = ${r.model.d}, ${params(r.model.params)} parameters) — run ${f.runId}`,
      );
    }
    return f.code;
  },
};
