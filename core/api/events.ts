// What the core pushes to clients, whatever the transport: job events (jobs/events.ts) and state
// events that tell views to refetch. Every event is plain JSON, so IPC, WebSocket and the CLI's
// --json stream carry the same objects.
import type { JobEvent, RunId } from '../jobs/events';

/** "Something changed, refetch": views listen and call the API again rather than patching local copies. */
export type StateEvent = { type: 'runs-changed'; runId?: RunId } | { type: 'models-changed' } | { type: 'hardware-changed' } | { type: 'jobs-changed' };

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
