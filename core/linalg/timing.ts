// Optional per-step stopwatch for the eigensolver's phases: where the time goes differs a lot between
// machines (ORT compute vs. per-call overhead vs. single-threaded JS), so the bench reports the split.

/** Seconds per key, accumulated; undefined = not measuring. */
export type Timings = Record<string, number> | undefined;

/** Runs `f`, adding its wall time (seconds) to timings[key]. */
export async function timed<T>(timings: Timings, key: string, f: () => Promise<T>): Promise<T> {
  if (!timings) return f();
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[key] = (timings[key] ?? 0) + (performance.now() - t0) / 1000;
  }
}

/** Adds the seconds since `t0` (a performance.now() reading) to timings[key]. */
export function addSince(timings: Timings, key: string, t0: number): void {
  if (timings) timings[key] = (timings[key] ?? 0) + (performance.now() - t0) / 1000;
}
