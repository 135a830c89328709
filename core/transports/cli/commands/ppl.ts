import { intFlag, stringFlag } from '../args';
import type { Command } from '../command';
import { epFlag, oneModel } from './shared/flags';
import { runJobCommand } from './shared/follow-job';
import { fmt, params } from './shared/format';
import { denseLines } from './shared/dense-lines';
import { protocolLabel } from '../../../runtime/ppl-protocol';

export const ppl: Command = {
  name: 'ppl',
  usage: 'ppl <model> [--dataset wikitext2] [--seqlen N] [--max-windows N | --all-windows] [--ep cpu|webgpu] [--json]',
  summary: 'WikiText-2 test perplexity of a dense or sliced model (the SliceGPT protocol), recorded as a run',
  flags: { values: ['dataset', 'seqlen', 'max-windows', 'batch', 'ep'], booleans: ['all-windows'] },
  async run(ctx) {
    const model = oneModel(ctx, 'ppl');
    const params_ = {
      model,
      dataset: stringFlag(ctx.args, 'dataset'),
      seqlen: intFlag(ctx.args, 'seqlen', 2, 1 << 20),
      maxWindows: intFlag(ctx.args, 'max-windows', 1, 1 << 30),
      allWindows: ctx.args.flags.has('all-windows') || undefined,
      batch: intFlag(ctx.args, 'batch', 1, 4096),
      ep: epFlag(ctx),
    };
    const service = await ctx.service();
    const f = await runJobCommand(ctx, 'ppl', params_, async (r, f) => {
      const [run] = await service.compareRuns([f.runId]);
      return [`perplexity ${fmt(r.ppl)} ± ${fmt(r.pplStderr)}  (${protocolLabel(r.protocol)}; ` + `${fmt(r.tokensPerSecond, 0)} tokens/s on ${r.ep}; d = ${r.model.d}, ${params(r.model.params)} parameters) — run ${f.runId}`, ...denseLines(run)].join(
        '\n',
      );
    });
    return f.code;
  },
};
