import { UsageError, type ParsedArgs } from '../args';
import type { Command } from '../command';
import { jobCommand } from './shared/job-command';
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

export const slice: Command = jobCommand('slice', {
  summary: 'SliceGPT: rotate and slice a dense model into --out, checkpointed at layer boundaries (--checkpoint-every; Ctrl+C, then --resume)',
  params(p) {
    if (p.resume && p.out === undefined) throw new UsageError('--resume needs --out: the folder of the interrupted run');
    return p;
  },
  cancelHint: (ctx, p) => async (runId) => {
    const folder = (await (await ctx.service()).getRun(runId)).settings.out;
    return `the checkpoint is kept; continue with: ${resumeCommand(ctx.args, p.model, typeof folder === 'string' ? folder : p.out)}`;
  },
  report: (r, f) =>
    [
      `sliced ${r.dense.folder} at ${pct(r.ratio, 0)}: d = ${r.d} of ${r.hiddenSize}, ${params(r.sliced.params)} parameters (dense ${params(r.dense.params)})` +
        `${r.resumedAt !== null ? `, resumed at layer ${r.resumedAt + 1}` : ''}, ${seconds(r.seconds)} — run ${f.runId}`,
      `written to ${r.out}: ${megabytes(r.sizes.slicedBytes)} of ${r.sizes.dtype} weights, ${sizeChange(r.sizes.slicedBytes, r.sizes.denseBytes)} the model's ${megabytes(r.sizes.denseBytes)}`,
      `evaluate it: ${cliCommand()} eval ${r.out} --ppl`,
    ].join('\n'),
});
