// Flags several engine commands share.
import { resolve } from 'node:path';
import { stringFlag, UsageError } from '../../args';
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
  if (ep !== undefined && !(EXECUTION_PROVIDERS as readonly string[]).includes(ep)) {
    throw new UsageError(`--ep must be one of ${EXECUTION_PROVIDERS.join(', ')}`);
  }
  return ep as ExecutionProvider | undefined;
}

export function numberFlag(ctx: CliContext, name: string, min: number, max: number): number | undefined {
  const v = ctx.args.flags.get(name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v === true || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}`);
  return n;
}
