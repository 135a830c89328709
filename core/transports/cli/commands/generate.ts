import type { GeneratedText } from '../../../jobs/kinds/generate';
import { UsageError } from '../args';
import type { CliContext, Command } from '../command';
import { oneModel } from './shared/flags';
import { jobCommand } from './shared/job-command';
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

export const generate: Command = jobCommand('generate', {
  summary: 'Continue a prompt (greedy, or sampled with a seed), on one model or two side by side; recorded as a run',
  flags: { booleans: ['compare'] },
  params(p, ctx) {
    return { ...models(ctx), ...p };
  },
  report(r, f, ctx) {
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
  },
});
