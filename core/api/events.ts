// What the core pushes to clients, whatever the transport: job events (one job = one run) and state
// events that tell views to refetch. Every event is plain JSON, so IPC, WebSocket and the CLI's
// --json stream carry the same objects.
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

export type JobEvent =
  | JobQueuedEvent
  | JobStartedEvent
  | JobProgressEvent
  | JobLogEvent
  | JobDoneEvent
  | JobFailedEvent
  | JobCancelledEvent;

export const JOB_END_TYPES = ['done', 'failed', 'cancelled'] as const;
export type JobEndEvent = JobDoneEvent | JobFailedEvent | JobCancelledEvent;

export function isJobEnd(e: JobEvent): e is JobEndEvent {
  return (JOB_END_TYPES as readonly string[]).includes(e.type);
}

/** "Something changed, refetch": views listen and call the API again rather than patching local copies. */
export type StateEvent =
  | { type: 'runs-changed'; runId?: RunId }
  | { type: 'models-changed' }
  | { type: 'hardware-changed' }
  | { type: 'jobs-changed' };

export type ApiEvent = ({ channel: 'job' } & JobEvent) | ({ channel: 'state' } & StateEvent);

export type EventListener = (event: ApiEvent) => void;

/** A tiny fan-out used by the service; transports subscribe and forward. */
export class EventHub {
  #listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(event: ApiEvent): void {
    for (const l of this.#listeners) {
      // One broken client must not stop the others from hearing about progress.
      try {
        l(event);
      } catch {
        /* ignored on purpose */
      }
    }
  }
}
