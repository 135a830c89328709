import { formatInspection } from '../../../model/inspect';
import { UsageError } from '../args';
import type { Command } from '../command';

export const inspect: Command = {
  name: 'inspect',
  usage: 'inspect <folder-or-config.json> [--json]',
  summary: 'Architecture, parameter count, dtypes and tokenizer of a model folder or a bare config.json',
  async run(ctx) {
    const [path, extra] = ctx.args.positionals;
    if (!path) throw new UsageError('inspect needs a model folder or a config.json path');
    if (extra) throw new UsageError(`inspect takes one path, got also "${extra}"`);
    const inspection = await (await ctx.service()).inspectModel(path);
    ctx.out(ctx.json ? JSON.stringify(inspection, null, 2) : formatInspection(inspection));
    return 0;
  },
};
