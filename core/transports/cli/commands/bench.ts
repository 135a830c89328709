import { intFlag } from '../args';
import type { Command } from '../command';
import { choiceFlag, epFlag, oneModel } from './shared/flags';
import { runJobCommand } from './shared/follow-job';
import { bytes, fmt, params, table } from './shared/format';

export const bench: Command = {
  name: 'bench',
  usage: 'bench <model-or-sliced-folder> [--batch N] [--prompt-tokens P] [--new-tokens T] [--repeats R] [--ep cpu|webgpu] [--dtype f16|f32|auto] [--json]',
  summary: 'Speed with a KV cache: prefill tokens/s and decode ms/token at batch 1 and N, peak memory',
  flags: { values: ['batch', 'prompt-tokens', 'new-tokens', 'repeats', 'ep', 'dtype'] },
  async run(ctx) {
    const model = oneModel(ctx, 'bench', 'a model folder (dense or sliced)');
    const p = {
      model,
      batch: intFlag(ctx.args, 'batch', 1, 1024),
      promptTokens: intFlag(ctx.args, 'prompt-tokens', 1, 1 << 20),
      newTokens: intFlag(ctx.args, 'new-tokens', 1, 1 << 20),
      repeats: intFlag(ctx.args, 'repeats', 1, 100),
      ep: epFlag(ctx),
      dtype: choiceFlag(ctx, 'dtype', ['f16', 'f32', 'auto'] as const),
    };
    const f = await runJobCommand(ctx, 'bench', p, (r, f) =>
      [
        table(
          ['batch', 'prefill tokens/s', 'decode ms/token', 'decode tokens/s'],
          r.results.map((b) => [String(b.batch), fmt(b.prefill.tokensPerSecond, 0), fmt(b.decode.msPerToken, 2), fmt(b.decode.tokensPerSecond, 0)]),
        ),
        `prompt ${r.promptTokens} tokens, ${r.newTokens} new tokens, median of ${r.repeats}; peak memory ${bytes(r.peakRssBytes)}; ` + `d = ${r.model.d}, ${params(r.model.params)} parameters on ${r.ep} — run ${f.runId}`,
      ].join('\n'),
    );
    return f.code;
  },
};
