import type { EvalJobResult } from '../../../jobs/kinds/eval';
import { denseLines } from './shared/dense-lines';
import { protocolLabel } from '../../../runtime/ppl-protocol';
import type { Command } from '../command';
import { jobCommand } from './shared/job-command';
import { fmt, params, pct, table } from './shared/format';

export function evalTable(r: EvalJobResult): string {
  const lines: string[] = [];
  if (r.tasks.length) {
    lines.push(
      table(
        ['task', 'n', 'acc', '± stderr', 'acc_norm', '± stderr'],
        r.tasks.map((t) => [t.task + (t.primaryMetric === 'acc' ? ' (acc)' : ''), String(t.n), pct(t.acc), pct(t.accStderr), pct(t.accNorm), pct(t.accNormStderr)]),
      ),
    );
    lines.push(`average of the paper's metrics (acc_norm; acc for WinoGrande): ${pct(r.average)}`);
  }
  if (r.ppl) lines.push(`perplexity ${fmt(r.ppl.ppl)} ± ${fmt(r.ppl.pplStderr)} (${protocolLabel(r.ppl.protocol)})`);
  lines.push(`model: d = ${r.model.d} of ${r.model.hiddenSize}, ${params(r.model.params)} parameters${r.model.sliced ? ' (sliced)' : ''}; ${r.ep}`);
  if (r.items) lines.push(`per-item log-likelihoods: ${r.items.path}`);
  return lines.join('\n');
}

export const evalCommand: Command = jobCommand('eval', {
  summary: 'Zero-shot accuracy (lm-eval 0.4 tasks), optionally WikiText-2 perplexity, recorded as a run',
  async report(r, f, ctx) {
    const [run] = await (await ctx.service()).compareRuns([f.runId]);
    return [evalTable(r), ...denseLines(run), `run ${f.runId}`].join('\n');
  },
});
