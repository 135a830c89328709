// What a job says while it runs (one job = one run): queued, started, progress, log, and exactly one end.
// The runner emits these; the API wraps them with its state events (api/events.ts) for every transport.
import type { ProgressUpdate } from '../base/job-context';

export type JobId = string;
export type RunId = number;

interface JobEventBase {
  jobId: JobId;
  runId: RunId;
  kind: string;
  /** Milliseconds since the epoch, stamped where the event was made. */
  at: number;
}

export type JobProgressEvent = JobEventBase & { type: 'progress' } & ProgressUpdate;
export type JobLogEvent = JobEventBase & { type: 'log'; message: string };
export type JobDoneEvent = JobEventBase & { type: 'done'; result: unknown; seconds: number };
/** `message` is one user-facing line; it never carries a stack trace. */
export type JobFailedEvent = JobEventBase & { type: 'failed'; message: string; errorName: string; seconds: number };
export type JobCancelledEvent = JobEventBase & { type: 'cancelled'; seconds: number; forced: boolean };
/** The job exists and waits for a free slot (job-queue.ts); 'started' follows when its worker starts. */
export type JobQueuedEvent = JobEventBase & { type: 'queued'; name: string };
export type JobStartedEvent = JobEventBase & { type: 'started'; name: string };

export type JobEvent = JobQueuedEvent | JobStartedEvent | JobProgressEvent | JobLogEvent | JobDoneEvent | JobFailedEvent | JobCancelledEvent;

export const JOB_END_TYPES = ['done', 'failed', 'cancelled'] as const;
export type JobEndEvent = JobDoneEvent | JobFailedEvent | JobCancelledEvent;

export function isJobEnd(e: JobEvent): e is JobEndEvent {
  return (JOB_END_TYPES as readonly string[]).includes(e.type);
}
