import { intFlag, stringFlag, UsageError } from '../args';
import type { Command } from '../command';
import { choiceFlag, numberFlag, oneModel } from './shared/flags';
import { runJobCommand } from './shared/follow-job';
import { seconds } from './shared/format';
import { cliCommand } from '../invocation';

export const recover: Command = {
  name: 'recover',
  usage:
    'recover <sliced-model> --out <dir> [--data alpaca|wikitext2|<file>] [--rank 32] [--alpha 10] [--steps N] [--lr 2e-4] [--warmup N] ' +
    '[--decay cosine|linear|constant] [--batch B] [--accum K] [--seqlen T] [--clip G] [--weight-decay W] [--dropout P] [--seed S] [--checkpoint-every N] [--engine auto|whole|streamed] [--ep cpu|webgpu] [--json]',
  summary: 'Recovery fine-tuning: LoRA on a slice, merged into a new sliced model in --out (Ctrl+C, then the same command resumes)',
  flags: {
    values: ['out', 'data', 'rank', 'alpha', 'steps', 'lr', 'warmup', 'decay', 'batch', 'accum', 'seqlen', 'clip', 'weight-decay', 'dropout', 'seed', 'checkpoint-every', 'engine', 'ep'],
    booleans: [],
  },
  async run(ctx) {
    const model = oneModel(ctx, 'recover', 'a sliced model folder');
    const out = stringFlag(ctx.args, 'out');
    if (!out) throw new UsageError('recover needs --out <dir>: the folder of the recovered (merged) model');
    const p = {
      model,
      out,
      data: stringFlag(ctx.args, 'data'),
      rank: intFlag(ctx.args, 'rank', 1, 4096),
      alpha: numberFlag(ctx, 'alpha', 1e-6, 1e6),
      steps: intFlag(ctx.args, 'steps', 1, 1 << 30),
      lr: numberFlag(ctx, 'lr', 1e-12, 10),
      warmup: intFlag(ctx.args, 'warmup', 0, 1 << 30),
      decay: choiceFlag(ctx, 'decay', ['cosine', 'linear', 'constant'] as const),
      batch: intFlag(ctx.args, 'batch', 1, 1 << 16),
      accum: intFlag(ctx.args, 'accum', 1, 1 << 16),
      seqlen: intFlag(ctx.args, 'seqlen', 2, 1 << 16),
      clip: numberFlag(ctx, 'clip', 0, 1e9),
      weightDecay: numberFlag(ctx, 'weight-decay', 0, 10),
      dropout: numberFlag(ctx, 'dropout', 0, 0.99),
      seed: intFlag(ctx.args, 'seed', -(2 ** 31), 2 ** 31 - 1),
      checkpointEvery: intFlag(ctx.args, 'checkpoint-every', 1, 1 << 30),
      engine: choiceFlag(ctx, 'engine', ['auto', 'whole', 'streamed'] as const),
      ep: choiceFlag(ctx, 'ep', ['cpu', 'webgpu'] as const),
    };
    const f = await runJobCommand(
      ctx,
      'recover',
      p,
      (r, f) =>
        [
          `recovered ${model}: ${r.steps} steps${r.resumedFrom ? ` (resumed at ${r.resumedFrom})` : ''}, loss ${r.firstLoss.toFixed(4)} → ${r.finalLoss.toFixed(4)}, ` +
            `${r.trainableParams.toLocaleString('en-US')} adapter parameters, ${r.tokensPerSecond.toFixed(0)} training tokens/s, ${seconds(r.seconds)} — run ${f.runId}`,
          `merged model in ${r.out}, adapters in ${r.adapters}`,
          `evaluate it: ${cliCommand()} eval ${r.out} --ppl`,
        ].join('\n'),
      { cancelHint: async () => `the last checkpoint is kept in ${out}/.recover; the same command continues from it` },
    );
    return f.code;
  },
};
