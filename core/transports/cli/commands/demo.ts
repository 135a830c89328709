import { runDemo, type DemoResult } from '../../../demo/demo';
import { intFlag } from '../args';
import type { Command } from '../command';
import { epFlag, numberFlag } from './shared/flags';
import { LiveLine, progressLine } from './shared/follow-job';

export const demo: Command = {
  name: 'demo',
  usage: 'demo [--ratio R] [--limit N] [--ep cpu|webgpu] [--json]',
  summary: 'The main job on the bundled demo model: plan, slice at 25%, evaluate dense and sliced, compare',
  flags: { values: ['ratio', 'limit', 'ep', 'model'] },
  async run(ctx) {
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
        { ratio: numberFlag(ctx, 'ratio', 0.01, 0.9), limit: intFlag(ctx.args, 'limit', 1, 100_000), ep: epFlag(ctx), model: ctx.args.flags.get('model') as string | undefined },
        ctx.json
          ? { step() {} }
          : {
              step: (t) => live.line(`» ${t}`),
              log: (t) => live.line(`  ${t}`),
              progress: (e) => live.update(`  ${progressLine(e)}`),
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
      ctx.out(`\n${r.table}\n\nAll runs are in the store: slice-studio runs compare ${r.runs.denseEval} ${r.runs.slice} ${r.runs.slicedEval}   (${r.seconds.toFixed(0)} s in all)`);
    }
    return 0;
  },
};
