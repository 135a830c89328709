// Which layer boundaries a slice checkpoints. A checkpoint costs what it writes: at a 7B layer with 128 × 2048
// calibration tokens the next layer's inputs are 3.2 GB (6.4 GB at 70B), downloaded from the GPU and written
// durably — 3.5–5 s on an H100, ~20 % of the layer. So a big boundary is taken only when `everySeconds` of work
// (default 120 s) have passed since the last taken one; small ones (≤ `smallBytes`, 256 MiB: every tiny model,
// every test) and the last layer's boundary (after it only the head is left) are always taken, and
// `everySeconds` 0 takes every boundary. A skipped boundary costs nothing: no download, no write.
// What a kill loses: the work since the last taken checkpoint — at most `everySeconds` plus the one layer that
// crossed it (a resume redoes those layers and rewrites their shards with the same bytes: the checkpoint holds
// exactly what the uninterrupted run held at that boundary).

export const DEFAULT_CHECKPOINT_EVERY_SECONDS = 120;
/** Boundaries this small are always checkpointed: their download and write cost next to nothing. */
export const SMALL_CHECKPOINT_BYTES = 256 * 2 ** 20;

export interface CheckpointCadenceOptions {
  /** Seconds of work between taken checkpoints (default 120; 0: every boundary). */
  everySeconds?: number;
  /** A boundary of at most this many bytes is always taken (default 256 MiB; tests force 0). */
  smallBytes?: number;
  /** The clock, in seconds (default: performance.now() / 1000; tests inject one). */
  now?: () => number;
}

/** One boundary: the layer it resumes at (`layers`: only the head is left), its bytes, the work since the last one taken. */
export interface BoundaryFacts {
  nextLayer: number;
  layers: number;
  bytes: number;
  secondsSinceTaken: number;
}

/** The policy itself: whether this boundary is checkpointed. */
export function checkpointDue(b: BoundaryFacts, o: { everySeconds: number; smallBytes: number }): boolean {
  if (o.everySeconds === 0 || b.bytes <= o.smallBytes || b.nextLayer >= b.layers) return true;
  return b.secondsSinceTaken >= o.everySeconds;
}

/** A job's cadence: its clock starts when it is made (the job's start, or its resume from a taken checkpoint). */
export class CheckpointCadence {
  readonly everySeconds: number;
  readonly smallBytes: number;
  readonly #layers: number;
  readonly #now: () => number;
  #lastTaken: number;
  /** Boundaries checkpointed and skipped so far. */
  taken = 0;
  skipped = 0;

  constructor(layers: number, o: CheckpointCadenceOptions = {}) {
    this.everySeconds = o.everySeconds ?? DEFAULT_CHECKPOINT_EVERY_SECONDS;
    this.smallBytes = o.smallBytes ?? SMALL_CHECKPOINT_BYTES;
    if (!(Number.isFinite(this.everySeconds) && this.everySeconds >= 0)) throw new RangeError(`checkpoint cadence must be a number of seconds ≥ 0, got ${o.everySeconds}`);
    this.#layers = layers;
    this.#now = o.now ?? (() => performance.now() / 1000);
    this.#lastTaken = this.#now();
  }

  /** Whether to checkpoint the boundary before layer `nextLayer` holding `bytes`; a yes restarts the clock. Counted either way. */
  due(nextLayer: number, bytes: number): boolean {
    const t = this.#now();
    if (!checkpointDue({ nextLayer, layers: this.#layers, bytes, secondsSinceTaken: t - this.#lastTaken }, this)) {
      this.skipped++;
      return false;
    }
    this.taken++;
    this.#lastTaken = t;
    return true;
  }

  /** The job's log line once it skipped a boundary (`what`: which boundaries), else null. */
  summary(what: string): string | null {
    return this.skipped > 0 ? `checkpointed ${this.taken} of ${this.taken + this.skipped} ${what} (every ${this.everySeconds} s of work; --checkpoint-every)` : null;
  }
}
