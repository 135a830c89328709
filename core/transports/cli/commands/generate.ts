import type { GeneratedText } from '../../../jobs/kinds/generate';
import { intFlag, stringFlag, UsageError } from '../args';
import type { CliContext, Command } from '../command';
import { choiceFlag, epFlag, numberFlag, oneModel } from './shared/flags';
import { runJobCommand } from './shared/follow-job';
import { fmt } from './shared/format';
import { resolve } from 'node:path';

/** `generate <model>`, or `generate --compare <dense> <sliced>`: the two models named. */
function models(ctx: CliContext): { model: string; compare?: string } {
  if (!ctx.args.flags.has('compare')) return { model: oneModel(ctx, 'generate') };
  const [a, b, extra] = ctx.args.positionals;
  if (!a || !b) throw new UsageError('generate --compare needs two model folders: <dense> <sliced>');
  if (extra) throw new UsageError(`generate --compare takes two models, got also "${extra}"`);
  return { model: resolve(a), compare: resolve(b) };
}

const folderName = (p: string) =>
  p
    .replace(/[\\/]+$/, '')
    .split(/[\\/]/)
    .pop() ?? p;
const speed = (r: GeneratedText) => `${r.newTokens} tokens, ${fmt(r.tokensPerSecond, 1)} tokens/s`;

export const generate: Command = {
  name: 'generate',
  usage: 'generate <model> | --compare <dense> <sliced>  --prompt TEXT [--max-new-tokens N] [--temperature T --top-p P --seed S] [--raw] [--truncate left] [--ep cpu|webgpu] [--dtype f16|f32|auto] [--json]',
  summary: 'Continue a prompt (greedy, or sampled with a seed), on one model or two side by side; recorded as a run',
  flags: { values: ['prompt', 'max-new-tokens', 'ep', 'dtype', 'temperature', 'top-p', 'seed', 'truncate'], booleans: ['compare', 'raw'] },
  async run(ctx) {
    const prompt = stringFlag(ctx.args, 'prompt');
    if (prompt === undefined) throw new UsageError('generate needs --prompt TEXT');
    const params = {
      ...models(ctx),
      prompt,
      maxNewTokens: intFlag(ctx.args, 'max-new-tokens', 1, 65536),
      ep: epFlag(ctx),
      temperature: numberFlag(ctx, 'temperature', 0, 10),
      topP: numberFlag(ctx, 'top-p', 0, 1),
      seed: intFlag(ctx.args, 'seed', 0, 2 ** 32 - 1),
      chat: ctx.args.flags.has('raw') ? false : undefined,
      truncate: choiceFlag(ctx, 'truncate', ['error', 'left'] as const),
      dtype: choiceFlag(ctx, 'dtype', ['f16', 'f32', 'auto'] as const),
    };
    const f = await runJobCommand(ctx, 'generate', params, (r, f) => {
      if (!r.compared) {
        ctx.err(`${speed(r)} on ${r.ep} (${r.note}) — run ${f.runId}`);
        return r.text;
      }
      const lines: string[] = [];
      for (const [label, c] of [
        ['A', r as GeneratedText],
        ['B', r.compared],
      ] as const)
        lines.push(`── ${label}: ${folderName(c.model)} (${c.note})`, c.text);
      const ratio = r.tokensPerSecond > 0 ? ` — B/A ${fmt(r.compared.tokensPerSecond / r.tokensPerSecond, 2)}×` : '';
      ctx.err(`A ${folderName(r.model)}: ${speed(r)}; B ${folderName(r.compared.model)}: ${speed(r.compared)}${ratio}, decoded in turn on ${r.ep} — run ${f.runId}`);
      return lines.join('\n');
    });
    return f.code;
  },
};
