// A small argv parser: positionals plus `--flag`, `--flag value` and `--flag=value`. Flags are declared
// per command (which take a value, which are booleans) so a typo is a clear error, not a silent default.

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface FlagSpec {
  /** Flags that take a value. */
  values?: readonly string[];
  /** Flags that are on/off. */
  booleans?: readonly string[];
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

export const GLOBAL_FLAGS: Required<FlagSpec> = { values: ['data-dir'], booleans: ['json', 'help'] };

export function parseArgs(argv: readonly string[], spec: FlagSpec): ParsedArgs {
  const values = new Set([...(spec.values ?? []), ...GLOBAL_FLAGS.values]);
  const booleans = new Set([...(spec.booleans ?? []), ...GLOBAL_FLAGS.booleans]);
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a === '-h') {
      flags.set('help', true);
      continue;
    }
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    if (booleans.has(name)) {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (values.has(name)) {
      const v = eq >= 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined || v === '') throw new UsageError(`--${name} needs a value`);
      flags.set(name, v);
    } else {
      throw new UsageError(`unknown option --${name}`);
    }
  }
  return { positionals, flags };
}

/**
 * The value of --name as a number (whole when `integer`) from `min` to `max` (a bound left out: none), else
 * "--name must be an integer|a number[ from min to max]" (the range named when both bounds are set). Every
 * number flag goes through here: intFlag, commands/shared/flags.ts numberFlag and the job commands' flags (job-flags.ts).
 */
export function numberValue(name: string, value: string | true, o: { integer: boolean; min?: number; max?: number }): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  const inRange = (o.min === undefined || n >= o.min) && (o.max === undefined || n <= o.max);
  if (!Number.isFinite(n) || (o.integer && !Number.isInteger(n)) || !inRange) {
    const range = o.min !== undefined && o.max !== undefined ? ` from ${o.min} to ${o.max}` : '';
    throw new UsageError(`--${name} must be ${o.integer ? 'an integer' : 'a number'}${range}`);
  }
  return n;
}

/** The value of --name when it is one of `choices`, else "--name must be one of a, b, c". */
export function choiceValue<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}`);
  return value as T;
}

export function intFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const v = args.flags.get(name);
  return v === undefined ? undefined : numberValue(name, v, { integer: true, min, max });
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
