// The one entry point every transport uses to call the API with an untrusted payload: look the method up
// in the contract table, validate the arguments, call the implementation.
import { API_METHODS, isApiMethod, type ApiMethodName, type SliceStudioApi } from './contract';
import { checkArgs } from './args';
import { PayloadError } from '../base/validate';

export class UnknownMethodError extends Error {
  override name = 'UnknownMethodError';
}

/** Validates `payload` (a JSON array of positional arguments) for `method`, then calls it. */
export function validateCall(method: string, payload: unknown): { name: ApiMethodName; args: unknown[] } {
  if (!isApiMethod(method)) throw new UnknownMethodError(`unknown API method "${method}"`);
  return { name: method, args: checkArgs(method, API_METHODS[method].args, payload) as unknown[] };
}

export async function callApi(api: SliceStudioApi, method: string, payload: unknown): Promise<unknown> {
  const { name, args } = validateCall(method, payload);
  const fn = api[name] as (...a: unknown[]) => Promise<unknown>;
  return fn.apply(api, args);
}

export { PayloadError };
