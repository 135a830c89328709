// Where a slicing phase's seconds go, cheaply: performance.now() laps added up per named step. Names are
// dotted paths — `rotate.products` is one step of the rotate phase, `rotate.products.run` one part of that
// step — so a step's parts (the engine's, the eigensolver's) nest under it when merged (`under`). Steps one
// level below a phase are disjoint and add up to (nearly) the phase; deeper names split their parent.
// The eigensolvers time their phases into an optional record (`Timings`: undefined = not measuring) with
// `timed` and `addSince`, the same clock as a Laps' `time`; `timedWait` for a step that mostly awaits the device,
// which also records `<key>.blocked`: how long the event loop was held meanwhile (loop-delay.ts) — by other work,
// since the waiting code itself runs nothing then.
import { loopMark, loopMonitorRunning, loopSince } from './loop-delay';

export type LapTimes = Record<string, number>;

/** Seconds per key, accumulated; undefined = not measuring. */
export type Timings = LapTimes | undefined;

/** Adds the seconds since `t0` (a performance.now() reading) to timings[key]. */
export function addSince(timings: Timings, key: string, t0: number): void {
  if (timings) timings[key] = (timings[key] ?? 0) + (performance.now() - t0) / 1000;
}

/** Runs `f`, adding its wall time (seconds) to timings[key]. */
export async function timed<T>(timings: Timings, key: string, f: () => Promise<T>): Promise<T> {
  if (!timings) return f();
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    addSince(timings, key, t0);
  }
}

/**
 * `timed`, plus `<key>.blocked`: seconds of that wall time the event loop was held (by other work, as `f` mostly
 * awaits), when the loop monitor runs (loop-delay.ts; otherwise just `timed`).
 */
export async function timedWait<T>(timings: Timings, key: string, f: () => Promise<T>): Promise<T> {
  if (!timings || !loopMonitorRunning()) return timed(timings, key, f);
  const m = loopMark();
  try {
    return await f();
  } finally {
    addSince(timings, key, m.at);
    timings[`${key}.blocked`] = (timings[`${key}.blocked`] ?? 0) + loopSince(m).blocked;
  }
}

export class Laps {
  #s: LapTimes = {};

  /** Adds `seconds` to `key`. */
  add(key: string, seconds: number): void {
    this.#s[key] = (this.#s[key] ?? 0) + seconds;
  }

  /** Runs `f`, adding its wall time to `key` (in the record current when `f` ends, as `add` would). */
  async time<T>(key: string, f: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await f();
    } finally {
      addSince(this.#s, key, t0);
    }
  }

  /** Runs synchronous `f`, adding its wall time to `key`. */
  timeSync<T>(key: string, f: () => T): T {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      addSince(this.#s, key, t0);
    }
  }

  /** Adds every entry of `parts` as `prefix.name` (the parts of the step `prefix`). */
  under(prefix: string, parts: LapTimes | undefined): void {
    if (parts) for (const [k, v] of Object.entries(parts)) this.add(`${prefix}.${k}`, v);
  }

  /** Everything so far, and starts again from nothing. */
  take(): LapTimes {
    const s = this.#s;
    this.#s = {};
    return s;
  }
}

/** A stopwatch whose `lap(key)` adds the seconds since the previous lap (or its start) to `into[key]`. */
export function stopwatch(into: LapTimes): (key: string) => void {
  let t = performance.now();
  return (key) => {
    const n = performance.now();
    into[key] = (into[key] ?? 0) + (n - t) / 1000;
    t = n;
  };
}

/** Per key, the mean over `rows` (a key a row lacks counts 0 there), rounded to milliseconds, keys sorted. */
export function meanLaps(rows: (LapTimes | undefined)[]): LapTimes {
  const sum: LapTimes = {};
  for (const r of rows) for (const [k, v] of Object.entries(r ?? {})) sum[k] = (sum[k] ?? 0) + v;
  const n = Math.max(1, rows.length);
  return Object.fromEntries(
    Object.keys(sum)
      .sort()
      .map((k) => [k, +(sum[k] / n).toFixed(3)]),
  );
}
