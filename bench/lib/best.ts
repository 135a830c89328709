/** The fastest of `reps` runs of `f`, in seconds (host-side micro-benchmarks). */
export function best(reps: number, f: () => unknown): number {
  let b = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    b = Math.min(b, (performance.now() - t0) / 1000);
  }
  return b;
}
