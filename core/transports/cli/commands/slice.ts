import { intFlag, stringFlag, UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { choiceFlag, epFlag, numberFlag, oneModel } from './shared/flags';
import { runJobCommand } from './shared/follow-job';
import { params, pct, seconds } from './shared/format';
import { megabytes } from '../../../slicegpt/output-size';

const sizeChange = (after: number, before: number): string => (after < before ? `${((1 - after / before) * 100).toFixed(1)} % smaller than` : `NOT smaller than (${((after / before - 1) * 100).toFixed(1)} % larger)`);
import { cliCommand } from '../invocation';

/** The command line that continues this run: the same arguments plus --resume and the output folder. */
function resumeCommand(args: ParsedArgs, model: string, out: string | undefined): string {
  const words = ['slice', model];
  for (const [name, value] of args.flags) {
    if (name === 'resume' || name === 'out' || name === 'json') continue;
    words.push(`--${name}`, ...(value === true ? [] : [value]));
  }
  if (out) words.push('--out', out);
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return `${cliCommand()} ${[...words, '--resume'].map(quote).join(' ')}`;
}

export const slice: Command = {
  name: 'slice',
  usage:
    'slice <model> --ratio R [--cal wikitext2|alpaca|<file>] [--nsamples N] [--seqlen T] [--sampling first|random] [--out <dir>] ' +
    '[--round K] [--slice-head] [--rotation per-layer|uniform] [--dtype float16|bfloat16|float32] [--allow-larger] [--seed S] [--batch-size B] [--ep cpu|webgpu] [--vram-gb G] [--ram-gb G] [--pass-dtype f16|f32] [--resume] [--json]',
  summary: 'SliceGPT: rotate and slice a dense model into --out, checkpointed per layer (Ctrl+C, then --resume)',
  flags: {
    values: ['ratio', 'cal', 'nsamples', 'seqlen', 'sampling', 'out', 'round', 'seed', 'batch-size', 'ep', 'rotation', 'vram-gb', 'ram-gb', 'dtype', 'pass-dtype'],
    booleans: ['slice-head', 'resume', 'allow-larger'],
  },
  async run(ctx) {
    const model = oneModel(ctx, 'slice', 'a dense model folder');
    const ratio = numberFlag(ctx, 'ratio', 0, 0.99);
    if (ratio === undefined) throw new UsageError('slice needs --ratio R (the fraction of the hidden width to delete, e.g. 0.25)');
    const resume = ctx.args.flags.has('resume');
    const out = stringFlag(ctx.args, 'out');
    if (resume && !out) throw new UsageError('--resume needs --out: the folder of the interrupted run');
    const p = {
      model,
      ratio,
      cal: stringFlag(ctx.args, 'cal'),
      nsamples: intFlag(ctx.args, 'nsamples', 1, 1 << 20),
      seqlen: intFlag(ctx.args, 'seqlen', 2, 1 << 20),
      sampling: choiceFlag(ctx, 'sampling', ['first', 'random'] as const),
      seed: intFlag(ctx.args, 'seed', -(2 ** 31), 2 ** 31 - 1),
      round: intFlag(ctx.args, 'round', 1, 4096),
      sliceHead: ctx.args.flags.has('slice-head') || undefined,
      batchSize: intFlag(ctx.args, 'batch-size', 1, 1 << 16),
      out,
      ep: epFlag(ctx),
      resume,
      rotation: choiceFlag(ctx, 'rotation', ['per-layer', 'uniform'] as const),
      vramGb: numberFlag(ctx, 'vram-gb', 0, 1 << 20),
      ramGb: numberFlag(ctx, 'ram-gb', 0.01, 1 << 20),
      dtype: choiceFlag(ctx, 'dtype', ['float16', 'bfloat16', 'float32'] as const),
      allowLarger: ctx.args.flags.has('allow-larger') || undefined,
      passDtype: choiceFlag(ctx, 'pass-dtype', ['f16', 'f32'] as const),
    };
    const service = await ctx.service();
    const cancelHint = async (runId: number) => {
      const folder = (await service.getRun(runId)).settings.out;
      return `the checkpoint is kept; continue with: ${resumeCommand(ctx.args, model, typeof folder === 'string' ? folder : out)}`;
    };
    const f = await runJobCommand(
      ctx,
      'slice',
      p,
      (r, f) =>
        [
          `sliced ${r.dense.folder} at ${pct(r.ratio, 0)}: d = ${r.d} of ${r.hiddenSize}, ${params(r.sliced.params)} parameters (dense ${params(r.dense.params)})` +
            `${r.resumedAt !== null ? `, resumed at layer ${r.resumedAt + 1}` : ''}, ${seconds(r.seconds)} — run ${f.runId}`,
          `written to ${r.out}: ${megabytes(r.sizes.slicedBytes)} of ${r.sizes.dtype} weights, ${sizeChange(r.sizes.slicedBytes, r.sizes.denseBytes)} the model's ${megabytes(r.sizes.denseBytes)}`,
          `evaluate it: ${cliCommand()} eval ${r.out} --ppl`,
        ].join('\n'),
      { cancelHint },
    );
    return f.code;
  },
};
