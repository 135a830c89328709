// A method's positional arguments, checked against its spec: the API-specific half of validation (the
// primitives it is built from are in base/validate.ts, shared with the job kinds).
import { PayloadError, type Infer, type IsOptional, type Validator } from '../base/validate';

/** Positional arguments: named so errors can say which one is wrong. */
export type ArgSpec = readonly (readonly [name: string, validator: Validator<unknown>])[];
/** The argument tuple of a spec; optional validators become optional (trailing) parameters. */
export type ArgsOf<A extends ArgSpec> = A extends readonly [readonly [string, infer V], ...infer Rest extends ArgSpec] ? (IsOptional<V> extends true ? [arg?: Exclude<Infer<V>, undefined>, ...ArgsOf<Rest>] : [arg: Infer<V>, ...ArgsOf<Rest>]) : [];

export function checkArgs<A extends ArgSpec>(method: string, spec: A, payload: unknown): ArgsOf<A> {
  // Transports send arguments as a JSON array; a bare object or value for a one-argument method is accepted too.
  const args = payload === undefined || payload === null ? [] : Array.isArray(payload) ? payload : [payload];
  if (args.length > spec.length) {
    throw new PayloadError(`${method} takes ${spec.length} argument${spec.length === 1 ? '' : 's'}, got ${args.length}`);
  }
  return spec.map(([name, validator], i) => {
    const value = args[i];
    // JSON has no undefined: a null argument is a left-out argument.
    if ((value === undefined || value === null) && !validator.optional) {
      throw new PayloadError(`${method}: missing argument "${name}" (${validator.describe})`);
    }
    return validator.check(value, `${method}: "${name}"`);
  }) as ArgsOf<A>;
}
