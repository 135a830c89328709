// Messages between the runner (main thread) and a job worker. Kept apart so both sides agree on one shape.
import type { ProgressUpdate } from './context';
import { withoutQuotedInput } from './json-syntax';

export interface WorkerInput {
  kind: string;
  params: unknown;
  /** Extra modules (file URLs) the worker imports before running: they register more job kinds. */
  modules: string[];
}

export type ToWorker = { type: 'cancel' };

export type FromWorker =
  | { type: 'progress'; update: ProgressUpdate }
  | { type: 'log'; message: string }
  | { type: 'done'; result: unknown }
  | { type: 'failed'; message: string; errorName: string; stack?: string }
  | { type: 'cancelled' };

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
