import { intFlag, stringFlag, UsageError } from '../args';
import type { Command } from '../command';
import { epFlag, oneModel } from './shared/flags';
import { runJobCommand } from './shared/follow-job';
import { fmt } from './shared/format';

export const generate: Command = {
  name: 'generate',
  usage: 'generate <model> --prompt TEXT [--max-new-tokens N] [--ep cpu|webgpu] [--json]',
  summary: 'Greedy continuation of a prompt (dense or sliced model), recorded as a run',
  flags: { values: ['prompt', 'max-new-tokens', 'ep'] },
  async run(ctx) {
    const model = oneModel(ctx, 'generate');
    const prompt = stringFlag(ctx.args, 'prompt');
    if (prompt === undefined) throw new UsageError('generate needs --prompt TEXT');
    const params = { model, prompt, maxNewTokens: intFlag(ctx.args, 'max-new-tokens', 1, 65536), ep: epFlag(ctx) };
    const f = await runJobCommand(ctx, 'generate', params, (r, f) => {
      ctx.err(`${r.newTokens} tokens, ${fmt(r.tokensPerSecond, 1)} tokens/s on ${r.ep} — run ${f.runId}`);
      return r.text;
    });
    return f.code;
  },
};
