// User errors versus bugs, told apart in one place for every transport: a custom Error subclass is a user
// error whose message is already the one line to show; a built-in error is a bug and gets its name added.
import { withoutQuotedInput } from './json-syntax';

/** Built-in error names: an error with one of these is a bug, not a user error, so its message gets the name. */
const BUILTIN = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'EvalError', 'URIError']);

/** One line for the user: custom error classes already say what went wrong; built-ins get their name added. */
export function userMessage(e: unknown): { message: string; errorName: string } {
  if (e instanceof Error) {
    const first = (withoutQuotedInput(e) || String(e)).split('\n')[0];
    return { message: BUILTIN.has(e.name) ? `${e.name}: ${first}` : first, errorName: e.name };
  }
  return { message: String(e).split('\n')[0], errorName: 'Error' };
}

export function isUserError(e: unknown): boolean {
  return e instanceof Error && !BUILTIN.has(e.name);
}
