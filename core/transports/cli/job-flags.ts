// A job command's flags, usage line and params, read from the JOBS table (core/jobs/kinds/index.ts): every field
// of the kind's params validator is `--<kebab-case key>` taking what its validator accepts (a switch, a number,
// one of some words, a comma-separated list, a word), except what the kind's `cli` block says otherwise
// (registry.ts JobCli: the positional, hidden params, other names, ranges, placeholders). A new job kind thus
// gets its flags, its usage line and their parsing without a line here; the command file keeps only what is its
// own (cross-flag rules, how the result is printed).
import { resolve } from 'node:path';
import { JOBS, type JobKind } from '../../jobs/kinds/index';
import type { JobCliFlag } from '../../jobs/registry';
import type { FlagKind } from '../../base/validate';
import { choiceValue, numberValue, UsageError, type FlagSpec, type ParsedArgs } from './args';

export interface JobFlag {
  /** The params key it fills. */
  key: string;
  /** Its name on the command line (no dashes). */
  flag: string;
  kind: FlagKind;
  opts: JobCliFlag;
}

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The kind's params fields, in the order its validator declares them (empty when it declares none). */
function fields(kind: JobKind) {
  return Object.entries(JOBS[kind].params.fields ?? {});
}

/** The param the positional argument fills: the `cli` block's, else `model` when the job has one. */
export function positionalKey(kind: JobKind): string | null {
  const cli = JOBS[kind].cli;
  if (cli?.positional !== undefined) return cli.positional;
  return fields(kind).some(([k]) => k === 'model') ? 'model' : null;
}

/** Every flag of a job kind, in its params' order. */
export function jobFlags(kind: JobKind): JobFlag[] {
  const cli = JOBS[kind].cli?.flags ?? {};
  const positional = positionalKey(kind);
  return fields(kind)
    .filter(([key]) => key !== positional && !cli[key]?.hidden)
    .map(([key, v]) => ({ key, flag: cli[key]?.flag ?? kebab(key), kind: cli[key]?.negate ? 'boolean' : (v.flag ?? 'string'), opts: cli[key] ?? {} }));
}

/** The parser's spec for a job command (plus the command's own flags). */
export function jobFlagSpec(kind: JobKind, extra: FlagSpec = {}): FlagSpec {
  const flags = jobFlags(kind);
  return {
    values: [...flags.filter((f) => f.kind !== 'boolean').map((f) => f.flag), ...(extra.values ?? [])],
    booleans: [...flags.filter((f) => f.kind === 'boolean').map((f) => f.flag), ...(extra.booleans ?? [])],
  };
}

function placeholder(f: JobFlag): string {
  if (f.opts.value) return f.opts.value;
  const k = f.kind;
  if (k === 'integer') return 'N';
  if (k === 'number') return 'X';
  if (k === 'string' || k === 'boolean') return 'S';
  if ('choices' in k) return k.choices.join('|');
  const item = k.list;
  return typeof item === 'object' && 'choices' in item ? item.choices.join(',') : 'A,B,…';
}

/** `<command> <positional> [--flag V] … [--json]`, from the table. */
export function jobUsage(kind: JobKind, name: string = kind): string {
  const pos = positionalKey(kind);
  const label = JOBS[kind].cli?.positionalUsage ?? (pos ? `<${pos}>` : '');
  const flags = jobFlags(kind).map((f) => {
    const word = f.kind === 'boolean' ? `--${f.flag}` : `--${f.flag} ${placeholder(f)}`;
    return f.opts.required ? word : `[${word}]`;
  });
  return [name, label, ...flags, '[--json]'].filter(Boolean).join(' ');
}

function valueOf(f: JobFlag, raw: string | true): unknown {
  const k = f.kind;
  if (k === 'boolean') return f.opts.negate ? false : true;
  const text = raw as string;
  if (k === 'integer' || k === 'number') return numberValue(f.flag, text, { integer: k === 'integer', min: f.opts.min, max: f.opts.max });
  if (k === 'string') return f.opts.path ? resolve(text) : text;
  if ('choices' in k) return choiceValue(f.flag, text, k.choices);
  // A list: comma-separated; its items are checked by the job's validator (named as this flag).
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The params the flags given say (absent flags left out, so the job's defaults apply), and the positional, made absolute. */
export function jobParamsFromArgs(kind: JobKind, args: ParsedArgs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of jobFlags(kind)) {
    const raw = args.flags.get(f.flag);
    if (raw !== undefined) out[f.key] = valueOf(f, raw);
    else if (f.opts.required) throw new UsageError(f.opts.required);
  }
  const pos = positionalKey(kind);
  if (pos) {
    const [path, extra] = args.positionals;
    if (!path) throw new UsageError(`${kind} needs ${JOBS[kind].cli?.positionalLabel ?? `a ${pos}`}`);
    if (extra) throw new UsageError(`${kind} takes one ${pos}, got also "${extra}"`);
    out[pos] = resolve(path);
  }
  return out;
}
