// Flags several engine commands share.
import { resolve } from 'node:path';
import { choiceValue, numberValue, stringFlag, UsageError } from '../../args';
import type { CliContext } from '../../command';
import { EXECUTION_PROVIDERS } from '../../../../jobs/kinds/common';
import type { ExecutionProvider } from '../../../../runtime/contract';

/** The one positional: a model folder (dense or sliced), made absolute. */
export function oneModel(ctx: CliContext, command: string, what = 'a model folder'): string {
  const [path, extra] = ctx.args.positionals;
  if (!path) throw new UsageError(`${command} needs ${what}`);
  if (extra) throw new UsageError(`${command} takes one model, got also "${extra}"`);
  return resolve(path);
}

export function epFlag(ctx: CliContext): ExecutionProvider | undefined {
  const ep = stringFlag(ctx.args, 'ep');
  return ep === undefined ? undefined : choiceValue('ep', ep, EXECUTION_PROVIDERS);
}

export function numberFlag(ctx: CliContext, name: string, min: number, max: number): number | undefined {
  const v = ctx.args.flags.get(name);
  return v === undefined ? undefined : numberValue(name, v, { integer: false, min, max });
}
