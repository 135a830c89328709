// Per-layer checkpoints written beside the next layer's work. At a layer boundary the job waits only for
// what must be taken then — the previous checkpoint finished, and this boundary on the host (its inputs
// downloaded, statistics copied: Checkpoint.take); the files (a LLaMA-2-7B layer's inputs at 128 × 2048
// tokens: 3.2 GB, flushed) are written while the next layer runs. Kill-safety is the Checkpoint's: each
// commit writes fresh files and replaces state.json last, commits run one at a time in layer order, and a
// layer's boundary is taken only after its shard is written (rotate-and-slice hands the shard's write over in
// `written`: it overlaps the next layer's work unless this boundary is taken) — so a kill at any instant leaves a state
// whose layers are all on disk. A failed write (a full disk) surfaces at the next save or at flush.
// `background` false writes in save itself (the host engine: its inputs are the store's own host arrays, which
// held past the layer would be RAM beyond the budget; the device engine's are downloaded copies anyway).
// A taken boundary larger than `maxBackgroundBytes` (the job's activation RAM budget; default 4 GiB) is written in
// save too: held through the next layer it would add its size to that layer's peak (a 70B layer's inputs at
// 128 × 2048 are 6.4 GB), where the budget promises the user less.
// Which boundaries are taken at all is the `cadence`'s (checkpoint-cadence.ts: big ones about every 120 s of
// work, small ones always; without one, every boundary): a skipped one returns at once, nothing downloaded.
import type { Checkpoint } from './checkpoint';
import type { CheckpointCadence } from './checkpoint-cadence';
import type { LayerBoundary } from './rotate-and-slice';
import { DEFAULT_RAM_BUDGET_BYTES } from '../plan/budget-defaults';

/** Bytes a boundary's checkpoint writes (its inputs as float32, Q as float64), known without downloading them. */
export const boundaryBytes = (b: LayerBoundary): number => b.inputs.floats * 4 + b.q.length * 8;

export class CheckpointQueue {
  readonly #checkpoint: Checkpoint;
  readonly #background: boolean;
  readonly #maxBackgroundBytes: number;
  readonly #cadence: CheckpointCadence | null;
  #writing: Promise<void> = Promise.resolve();

  constructor(checkpoint: Checkpoint, o: { background?: boolean; maxBackgroundBytes?: number; cadence?: CheckpointCadence } = {}) {
    this.#checkpoint = checkpoint;
    this.#background = o.background ?? true;
    this.#maxBackgroundBytes = o.maxBackgroundBytes ?? DEFAULT_RAM_BUDGET_BYTES;
    this.#cadence = o.cadence ?? null;
  }

  /**
   * Takes `b` now, if the cadence says so, and writes it after the checkpoints before it; returns once taken
   * (throws a previous write's failure), or at once when skipped.
   */
  async save(b: LayerBoundary): Promise<void> {
    if (this.#cadence && !this.#cadence.due(b.nextLayer, boundaryBytes(b))) return;
    await this.#writing;
    // A boundary promises every layer before it on disk: the last one's shard may still be being written.
    await b.written;
    const taken = await this.#checkpoint.take(b);
    const bytes = taken.host.reduce((a, x) => a + x.byteLength, 0);
    if (!this.#background || bytes > this.#maxBackgroundBytes) return this.#checkpoint.commit(taken);
    this.#writing = this.#checkpoint.commit(taken);
    // Awaited by the next save or by flush; until then it must not count as unhandled.
    this.#writing.catch(() => {});
  }

  /** Waits until every taken checkpoint is written (throws the failure of one that was not). */
  async flush(): Promise<void> {
    await this.#writing;
  }
}
