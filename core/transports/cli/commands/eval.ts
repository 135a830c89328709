import type { EvalJobResult } from '../../../jobs/kinds/eval';
import { array, literal, optional } from '../../../base/validate';
import { TASK_NAMES } from '../../../eval/tasks/types';
import { denseLines } from './shared/dense-lines';
import { protocolLabel } from '../../../runtime/ppl-protocol';
import { intFlag, stringFlag } from '../args';
import type { Command } from '../command';
import { epFlag, oneModel } from './shared/flags';
import { runJobCommand } from './shared/follow-job';
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

export const evalCommand: Command = {
  name: 'eval',
  usage: 'eval <model-or-sliced-folder> [--tasks piqa,winogrande,hellaswag,arc_easy,arc_challenge] [--limit N] [--ppl] [--ppl-max-windows N | --ppl-all-windows] [--ep cpu|webgpu] [--json]',
  summary: 'Zero-shot accuracy (lm-eval 0.4 tasks), optionally WikiText-2 perplexity, recorded as a run',
  flags: { values: ['tasks', 'limit', 'ppl-max-windows', 'ep'], booleans: ['ppl', 'ppl-all-windows'] },
  async run(ctx) {
    const model = oneModel(ctx, 'eval', 'a model folder (dense or sliced)');
    // The job's own check of the list (one line naming --tasks and what it got).
    const tasks = optional(array(literal(...TASK_NAMES))).check(
      stringFlag(ctx.args, 'tasks')
        ?.split(',')
        .map((t) => t.trim())
        .filter(Boolean),
      'eval params.tasks',
    );
    const p = {
      model,
      tasks,
      limit: intFlag(ctx.args, 'limit', 1, 1 << 30),
      ppl: ctx.args.flags.has('ppl') || undefined,
      pplMaxWindows: intFlag(ctx.args, 'ppl-max-windows', 1, 1 << 30),
      pplAllWindows: ctx.args.flags.has('ppl-all-windows') || undefined,
      ep: epFlag(ctx),
    };
    const service = await ctx.service();
    const f = await runJobCommand(ctx, 'eval', p, async (r, f) => {
      const [run] = await service.compareRuns([f.runId]);
      return [evalTable(r), ...denseLines(run), `run ${f.runId}`].join('\n');
    });
    return f.code;
  },
};
