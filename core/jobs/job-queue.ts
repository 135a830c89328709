// Which jobs may run now. A heavy job (slice, eval, ppl, bench, export, generate, verify-export: it fills the
// device's memory and cores) runs one at a time per device by default — two slices side by side on one
// GPU or one CPU only fight for memory bandwidth and risk running out of memory; light jobs (fingerprint)
// run alongside, as many as the CPU has cores. Everything else waits, queued, first come first served
// within each slot (a queued heavy job never holds up a light one).
import { availableParallelism } from 'node:os';
import type { JobDefinition } from './registry';

export interface Concurrency {
  /** Heavy jobs at once on each device (default 1). */
  heavyPerDevice: number;
  /** Light jobs at once (default: the CPU's cores). */
  light: number;
}

export function defaultConcurrency(): Concurrency {
  return { heavyPerDevice: 1, light: Math.max(1, availableParallelism()) };
}

/** What a job occupies while it runs: a heavy slot on its device, or a light slot. */
export type Slot = { heavy: true; device: string } | { heavy: false };

/** The job's slot: the registry's `load` (heavy by default), on the device of its execution provider. */
export function slotOf(def: JobDefinition, params: unknown): Slot {
  if (def.load === 'light') return { heavy: false };
  const ep = def.ep?.(params) ?? 'cpu';
  // Every GPU provider drives the same card here; the CPU provider is a device of its own.
  return { heavy: true, device: ep === 'cpu' ? 'cpu' : 'gpu' };
}

const key = (s: Slot) => (s.heavy ? `heavy:${s.device}` : 'light');

export class JobQueue<Id> {
  #limits: Concurrency;
  #waiting: { id: Id; slot: Slot }[] = [];
  #running = new Map<Id, Slot>();

  constructor(limits: Concurrency) {
    if (!(limits.heavyPerDevice >= 1 && limits.light >= 1)) throw new RangeError('job concurrency limits must be at least 1');
    this.#limits = limits;
  }

  add(id: Id, slot: Slot): void {
    this.#waiting.push({ id, slot });
  }

  /** Forget a job, queued or running (it ended or was cancelled). */
  remove(id: Id): void {
    this.#waiting = this.#waiting.filter((w) => w.id !== id);
    this.#running.delete(id);
  }

  /** Moves every waiting job that fits into the running set and returns them, oldest first. */
  ready(): Id[] {
    const busy = new Map<string, number>();
    for (const s of this.#running.values()) busy.set(key(s), (busy.get(key(s)) ?? 0) + 1);
    const out: Id[] = [];
    for (const w of [...this.#waiting]) {
      const k = key(w.slot);
      const limit = w.slot.heavy ? this.#limits.heavyPerDevice : this.#limits.light;
      if ((busy.get(k) ?? 0) >= limit) continue;
      busy.set(k, (busy.get(k) ?? 0) + 1);
      this.#waiting = this.#waiting.filter((x) => x !== w);
      this.#running.set(w.id, w.slot);
      out.push(w.id);
    }
    return out;
  }

  /** 1-based place in the queue, or 0 when running or unknown. */
  position(id: Id): number {
    return this.#waiting.findIndex((w) => w.id === id) + 1;
  }
}
