import type { Command } from '../command';
import { jobCommand } from './shared/job-command';
import { seconds } from './shared/format';
import { cliCommand } from '../invocation';

export const recover: Command = jobCommand('recover', {
  summary: 'Recovery fine-tuning: LoRA on a slice, merged into a new sliced model in --out (Ctrl+C, then the same command resumes)',
  report: (r, f, _ctx, p) =>
    [
      `recovered ${p.model}: ${r.steps} steps${r.resumedFrom ? ` (resumed at ${r.resumedFrom})` : ''}, loss ${r.firstLoss.toFixed(4)} → ${r.finalLoss.toFixed(4)}, ` +
        `${r.trainableParams.toLocaleString('en-US')} adapter parameters, ${r.tokensPerSecond.toFixed(0)} training tokens/s, ${seconds(r.seconds)} — run ${f.runId}`,
      `merged model in ${r.out}, adapters in ${r.adapters}`,
      `evaluate it: ${cliCommand()} eval ${r.out} --ppl`,
    ].join('\n'),
  cancelHint: (_ctx, p) => async () => `the last checkpoint is kept in ${p.out}/.recover; the same command continues from it`,
});
