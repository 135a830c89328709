// What a long-running job (perplexity, slice, eval, export, bench) sees of the world. Jobs are plain
// async functions of (ctx, params); the runner (core/jobs) executes them in a worker thread, turns
// ctx.progress into events with the job's id, and aborts ctx.signal on cancel. The same function runs
// in-process in tests and in the CLI, so nothing in a job may assume which transport is listening.

export interface ProgressUpdate {
  /** e.g. 'load', 'signals', 'pca', 'rotate', 'ppl', 'task:piqa' */
  phase: string;
  /** 0-based layer index and layer count, where the phase is per layer. */
  layer?: number;
  layers?: number;
  /** Overall fraction done, 0…1. */
  fraction?: number;
  /** Seconds left, where the job can estimate it. */
  etaSeconds?: number;
  message?: string;
  /** Small structured payload for live charts (e.g. a layer's kept variance). */
  data?: Record<string, unknown>;
}

export interface JobContext {
  readonly signal: AbortSignal;
  progress(p: ProgressUpdate): void;
  log(message: string): void;
}

export class CancelledError extends Error {
  override name = 'CancelledError';
  constructor() {
    super('cancelled');
  }
}

/** Call between units of work: throws CancelledError once the job was cancelled. */
export function checkCancelled(ctx: JobContext): void {
  if (ctx.signal.aborted) throw new CancelledError();
}

/** A context that prints nothing and is never cancelled: for tests and library use. */
export function quietContext(signal: AbortSignal = new AbortController().signal): JobContext {
  return { signal, progress() {}, log() {} };
}
