// How long the event loop was held by synchronous work, cheaply: while a job runs, an unref'd 10 ms interval
// timer notes each gap between its ticks longer than two intervals (a stall: the loop could not run the timer,
// nor anything else — an awaited GPU completion, an I/O callback, a worker's answer — for that long). Counters
// only grow, so any code can measure any span (`loopMark` at its start, `loopSince` at its end) without
// resetting anything another span reads: a phase of the slice (rotate-and-slice.ts records `loop.<phase>.*` per
// layer) and, inside it, the eigensolver's waits on the device (laps.ts `timedWait`: `<step>.blocked` — time
// the loop was held while the solver only waited, i.e. by someone else's work).
// A stall is counted when it is noticed: at the timer's next tick, or at a `loopSince`/`loopMark` that comes
// first (an awaited promise can resolve in the same loop turn, before the timers run). Off (all zeros) unless
// `startLoopMonitor` was called; starts and stops nest (one timer for the process).
const INTERVAL_MS = 10;
/** A gap longer than this is a stall; the part beyond one interval counts as blocked. */
const STALL_MS = 2 * INTERVAL_MS;
/** The most recent stalls, for the longest one in a span (at ≥ 20 ms each, a few seconds' worth or more). */
const RING = 4096;

let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;
let last = 0;
let blockedMs = 0;
let count = 0;
const sizes = new Float64Array(RING);

/** Notes the gap since the last tick or notice (a stall if long enough), at `now`. */
function notice(now: number): void {
  const gap = now - last;
  if (gap > STALL_MS) {
    const size = gap - INTERVAL_MS;
    blockedMs += size;
    sizes[count % RING] = size;
    count++;
    last = now;
  }
}

/** Starts watching the event loop (nested calls share one timer); the returned function stops this user's watch. */
export function startLoopMonitor(): () => void {
  if (users++ === 0) {
    last = performance.now();
    timer = setInterval(() => {
      const now = performance.now();
      notice(now);
      last = now;
    }, INTERVAL_MS);
    // (A browser's interval — the WGSL solver's page tests — has no unref.)
    (timer as { unref?: () => void }).unref?.();
  }
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    if (--users === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };
}

export const loopMonitorRunning = (): boolean => users > 0;

/** A point to measure from. */
export interface LoopMark {
  at: number;
  blockedMs: number;
  count: number;
}

export function loopMark(): LoopMark {
  const at = performance.now();
  if (users > 0) notice(at);
  return { at, blockedMs, count };
}

/** Since `m`: seconds the loop was held (stalls beyond one interval), the longest stall (seconds) and how many. */
export function loopSince(m: LoopMark): { blocked: number; maxStall: number; stalls: number } {
  if (users > 0) notice(performance.now());
  const stalls = count - m.count;
  let max = 0;
  for (let i = count - 1; i >= Math.max(m.count, count - RING); i--) if (sizes[i % RING] > max) max = sizes[i % RING];
  return { blocked: (blockedMs - m.blockedMs) / 1000, maxStall: max / 1000, stalls };
}
