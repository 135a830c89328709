// Spans in which background host work waits its turn. The slice's prefetch of the next layer (reading and widening
// its tensors, fusing, the exact float16 forms) is synchronous JavaScript in chunks of 0.05–0.4 s; run while the
// WGSL eigensolver or the weight products are awaiting the GPU hundreds of times, each chunk holds the event loop
// and leaves the GPU idle (session 11's 7B pipeline: the PCA 6.2 s a layer against 1.7 s without a prefetch; the
// last layer, which prefetches nothing, 1.9 s). `during(f)` marks such a span; `turn()` resolves once none is open,
// so the prefetch's chunks run while the passes wait on ORT instead. Scheduling only: no value changes.
export class Quiet {
  #open = 0;
  #waiting: (() => void)[] = [];

  /** Runs `f` with background work held back until it (and every other open span) ends. */
  async during<T>(f: () => Promise<T>): Promise<T> {
    this.#open++;
    try {
      return await f();
    } finally {
      if (--this.#open === 0) {
        const w = this.#waiting;
        this.#waiting = [];
        for (const go of w) go();
      }
    }
  }

  /** Resolves at once when no span is open, else when the last one ends. */
  turn(): Promise<void> {
    return this.#open === 0 ? Promise.resolve() : new Promise((go) => this.#waiting.push(go));
  }

  get open(): boolean {
    return this.#open > 0;
  }
}
