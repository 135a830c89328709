// Small hand-written payload validators. Every transport (IPC, HTTP, CLI) runs a method's arguments
// through the same validator before the service sees them, so the service can trust its inputs and a
// malformed payload gets one clear line instead of a crash deep inside core. Each validator also carries
// its TypeScript type, so the API interface is derived from the same table that validates it.

export class PayloadError extends Error {
  override name = 'PayloadError';
}

/** How a command line spells a value of this validator (the CLI's job flags are read from the JOBS table by it):
 * a switch, a number, a word, one of some words, or a comma-separated list. Absent: a plain string. */
export type FlagKind = 'boolean' | 'integer' | 'number' | 'string' | { choices: readonly string[] } | { list: FlagKind };

export interface Validator<T> {
  /** Returns the (possibly normalized) value or throws PayloadError naming `where`. */
  check(value: unknown, where: string): T;
  /** What a command-line flag for this value takes (absent: a string). */
  readonly flag?: FlagKind;
  /** Human description, used in error messages ("a string", "one of 'a' | 'b'"). */
  readonly describe: string;
  /** Marks a validator that accepts `undefined` (trailing arguments may be left out). */
  readonly optional?: boolean;
}

export type Infer<V> = V extends Validator<infer T> ? T : never;

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v);

/** What was sent, as the sender would recognise it: a scalar itself (quoted, shortened), else its type. */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 60)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeName(v);
}

function fail(where: string, describe: string, value: unknown): never {
  throw new PayloadError(`${where} must be ${describe} (got ${shown(value)})`);
}

function make<T>(describe: string, test: (v: unknown) => boolean, flag?: FlagKind): Validator<T> {
  return {
    describe,
    flag,
    check(value, where) {
      if (!test(value)) fail(where, describe, value);
      return value as T;
    },
  };
}

export const string = make<string>('a string', (v) => typeof v === 'string');
export const nonEmptyString = make<string>('a non-empty string', (v) => typeof v === 'string' && v.trim() !== '');
export const boolean = make<boolean>('true or false', (v) => typeof v === 'boolean', 'boolean');
export const number = make<number>('a finite number', (v) => typeof v === 'number' && Number.isFinite(v), 'number');
export const integer = make<number>('an integer', (v) => Number.isInteger(v), 'integer');
export const positiveInteger = make<number>('a positive integer', (v) => Number.isInteger(v) && (v as number) > 0, 'integer');

export function literal<const L extends readonly (string | number)[]>(...values: L): Validator<L[number]> {
  const words = values.every((v) => typeof v === 'string') ? { choices: values as readonly string[] } : undefined;
  return make(`one of ${values.map((v) => JSON.stringify(v)).join(' | ')}`, (v) => values.includes(v as L[number]), words);
}

export function optional<T>(inner: Validator<T>): Validator<T | undefined> & { readonly optional: true } {
  return {
    describe: `${inner.describe} (optional)`,
    optional: true,
    flag: inner.flag,
    check: (value, where) => (value === undefined || value === null ? undefined : inner.check(value, where)),
  };
}

export function array<T>(item: Validator<T>): Validator<T[]> {
  return {
    describe: `an array of ${item.describe}`,
    flag: { list: item.flag ?? 'string' },
    check(value, where) {
      if (!Array.isArray(value)) fail(where, `an array of ${item.describe}`, value);
      return value.map((x, i) => item.check(x, `${where}[${i}]`));
    },
  };
}

/** A JSON-ish object (not an array, not null) with arbitrary keys. */
export const record = make<Record<string, unknown>>('an object', (v) => typeof v === 'object' && v !== null && !Array.isArray(v));

type Shape = Record<string, Validator<unknown>>;
export type IsOptional<V> = V extends { readonly optional: true } ? true : false;
type ObjectOf<S extends Shape> = { [K in keyof S as IsOptional<S[K]> extends true ? never : K]: Infer<S[K]> } & {
  [K in keyof S as IsOptional<S[K]> extends true ? K : never]?: Exclude<Infer<S[K]>, undefined>;
};

/** An object with exactly these keys (unknown keys are rejected: they are usually typos). */
export function object<S extends Shape>(shape: S): Validator<{ [K in keyof ObjectOf<S>]: ObjectOf<S>[K] }> & { readonly fields: S } {
  const describe = 'an object';
  return {
    describe,
    fields: shape,
    check(value, where) {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, describe, value);
      const input = value as Record<string, unknown>;
      for (const key of Object.keys(input)) {
        if (!(key in shape)) throw new PayloadError(`${where} has an unknown field "${key}"`);
      }
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(shape)) {
        const checked = v.check(input[key], `${where}.${key}`);
        if (checked !== undefined) out[key] = checked;
      }
      return out as never;
    },
  };
}
