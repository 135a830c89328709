import type { Command } from '../command';
import { jobCommand } from './shared/job-command';
import { fmt, params } from './shared/format';
import { denseLines } from './shared/dense-lines';
import { protocolLabel } from '../../../runtime/ppl-protocol';

export const ppl: Command = jobCommand('ppl', {
  summary: 'WikiText-2 test perplexity of a dense or sliced model (the SliceGPT protocol), recorded as a run',
  async report(r, f, ctx) {
    const [run] = await (await ctx.service()).compareRuns([f.runId]);
    return [`perplexity ${fmt(r.ppl)} ± ${fmt(r.pplStderr)}  (${protocolLabel(r.protocol)}; ` + `${fmt(r.tokensPerSecond, 0)} tokens/s on ${r.ep}; d = ${r.model.d}, ${params(r.model.params)} parameters) — run ${f.runId}`, ...denseLines(run)].join(
      '\n',
    );
  },
});
