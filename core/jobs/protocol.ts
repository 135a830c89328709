// Messages between the runner (main thread) and a job worker. Kept apart so both sides agree on one shape.
import type { ProgressUpdate } from '../base/job-context';

export interface WorkerInput {
  kind: string;
  params: unknown;
  /** Extra modules (file URLs) the worker imports before running: they register more job kinds. */
  modules: string[];
}

export type ToWorker = { type: 'cancel' };

export type FromWorker = { type: 'progress'; update: ProgressUpdate } | { type: 'log'; message: string } | { type: 'done'; result: unknown } | { type: 'failed'; message: string; errorName: string; stack?: string } | { type: 'cancelled' };
