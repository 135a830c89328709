// Per-layer checkpoints written beside the next layer's work. At a layer boundary the job waits only for
// what must be taken then — the previous checkpoint finished, and this boundary on the host (its inputs
// downloaded, statistics copied: Checkpoint.take); the files (a LLaMA-2-7B layer's inputs at 128 × 2048
// tokens: 3.2 GB, flushed) are written while the next layer runs. Kill-safety is the Checkpoint's: each
// commit writes fresh files and replaces state.json last, commits run one at a time in layer order, and a
// layer's boundary is taken only after its shard is written — so a kill at any instant leaves a state
// whose layers are all on disk. A failed write (a full disk) surfaces at the next save or at flush.
// `background` false writes in save itself (the host engine: its inputs are the store's own host arrays, which
// held past the layer would be RAM beyond the budget; the device engine's are downloaded copies anyway).
// A taken boundary larger than `maxBackgroundBytes` (the job's activation RAM budget; default 4 GiB) is written in
// save too: held through the next layer it would add its size to that layer's peak (a 70B layer's inputs at
// 128 × 2048 are 6.4 GB), where the budget promises the user less.
import type { Checkpoint } from './checkpoint';
import type { LayerBoundary } from './rotate-and-slice';
import { DEFAULT_RAM_BUDGET_BYTES } from '../plan/budget-defaults';

export class CheckpointQueue {
  readonly #checkpoint: Checkpoint;
  readonly #background: boolean;
  readonly #maxBackgroundBytes: number;
  #writing: Promise<void> = Promise.resolve();

  constructor(checkpoint: Checkpoint, o: { background?: boolean; maxBackgroundBytes?: number } = {}) {
    this.#checkpoint = checkpoint;
    this.#background = o.background ?? true;
    this.#maxBackgroundBytes = o.maxBackgroundBytes ?? DEFAULT_RAM_BUDGET_BYTES;
  }

  /** Takes `b` now and writes it after the checkpoints before it; returns once taken (throws a previous write's failure). */
  async save(b: LayerBoundary): Promise<void> {
    await this.#writing;
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
