// A tied model's vocabulary table E is both the embedding and the head. Reading it once per source while
// someone still holds it means `generate` (which keeps embedding and head for the whole session) holds one
// V×D table, not two, and the second ask costs no read; a streaming consumer that dropped the embedding
// before it asks for the head is not made to keep it alive (the reference is weak). Nothing writes into an
// embedding or head table it is given (fuse, rotate and the tied factors return new arrays; recover's merge
// writes into layer linears only), which is what makes one shared table safe.
import type { Matrix } from './weights';

export class HeldTable {
  #held?: WeakRef<Matrix>;
  #reading?: Promise<Matrix>;

  /** The table: the one still held by an earlier caller, else `read()` once (concurrent asks share it). */
  async get(read: () => Promise<Matrix>): Promise<Matrix> {
    const held = this.#held?.deref();
    if (held) return held;
    this.#reading ??= read().then(
      (m) => {
        this.#held = new WeakRef(m);
        this.#reading = undefined;
        return m;
      },
      (e: unknown) => {
        this.#reading = undefined;
        throw e;
      },
    );
    return this.#reading;
  }
}
