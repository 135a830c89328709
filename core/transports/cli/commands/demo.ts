import { runDemo, type DemoResult } from '../../../demo/demo';
import { resolve } from 'node:path';
import type { TaskName } from '../../../eval/tasks/types';
import { intFlag, stringFlag } from '../args';
import type { Command } from '../command';
import { epFlag, numberFlag } from './shared/flags';
import { LiveLine } from '../live-line';
import { cliCommand } from '../invocation';

export const demo: Command = {
  name: 'demo',
  usage: 'demo [--ratio R] [--limit N] [--tasks piqa,arc_easy] [--nsamples N] [--seqlen T] [--ppl-windows N] [--model DIR] [--ep cpu|webgpu] [--json]',
  summary: 'The main job on the bundled demo model: plan, slice at 25%, evaluate dense and sliced, compare',
  flags: { values: ['ratio', 'limit', 'tasks', 'nsamples', 'seqlen', 'ppl-windows', 'ep', 'model'] },
  async run(ctx) {
    const model = stringFlag(ctx.args, 'model');
    const service = await ctx.service();
    const live = new LiveLine(ctx);
    const abort = new AbortController();
    const stop = () => {
      live.line('cancelling…');
      abort.abort();
    };
    process.on('SIGINT', stop);
    let r: DemoResult;
    try {
      r = await runDemo(
        service,
        {
          ratio: numberFlag(ctx, 'ratio', 0.01, 0.9),
          limit: intFlag(ctx.args, 'limit', 1, 100_000),
          tasks: stringFlag(ctx.args, 'tasks')
            ?.split(',')
            .map((t) => t.trim())
            .filter(Boolean) as TaskName[] | undefined,
          nsamples: intFlag(ctx.args, 'nsamples', 1, 100_000),
          seqlen: intFlag(ctx.args, 'seqlen', 2, 1 << 20),
          pplWindows: intFlag(ctx.args, 'ppl-windows', 1, 1 << 20),
          ep: epFlag(ctx),
          model: model ? resolve(model) : undefined,
        },
        ctx.json
          ? { step() {} }
          : {
              step: (t) => live.line(`» ${t}`),
              log: (t) => live.line(`  ${t}`),
              progress: (e) => live.progress(e, '  '),
            },
        abort.signal,
      );
    } finally {
      live.clear();
      process.off('SIGINT', stop);
    }
    if (ctx.json) {
      const { hardware: _h, slice, ...rest } = r;
      ctx.out(JSON.stringify({ ...rest, slice: { out: slice.out, d: slice.d, hiddenSize: slice.hiddenSize, seconds: slice.seconds } }, null, 2));
    } else {
      ctx.out(`\n${r.table}\n\nAll runs are in the store: ${cliCommand()} runs compare ${r.runs.denseEval} ${r.runs.slice} ${r.runs.slicedEval}   (${r.seconds.toFixed(0)} s in all)`);
    }
    return 0;
  },
};
