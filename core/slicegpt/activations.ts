// Calibration activations, held layer-major: one Float32Array chunk per batch of windows, all of one signal.
// Above the RAM budget, chunks spill to files in the job's scratch folder and are read back on demand, so
// 128 × 2048 tokens × 4096 wide (4 GB per signal) does not have to be resident.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Bytes currently held in RAM by all stores sharing one budget. */
export class RamBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

export class ActivationStore {
  readonly name: string;
  readonly width: number;
  #chunks: (Float32Array | null)[] = [];
  #dir: string;
  #budget: RamBudget;
  #spilled = 0;

  constructor(o: { name: string; width: number; dir: string; budget: RamBudget }) {
    this.name = o.name;
    this.width = o.width;
    this.#dir = o.dir;
    this.#budget = o.budget;
  }

  get length(): number {
    return this.#chunks.length;
  }

  /** Chunks written to disk because the budget was exceeded. */
  get spilledChunks(): number {
    return this.#spilled;
  }

  #file(i: number): string {
    return join(this.#dir, `${this.name}-${i}.f32`);
  }

  set(i: number, x: Float32Array): void {
    this.#drop(i);
    if (this.#budget.used + x.byteLength > this.#budget.limit) {
      mkdirSync(this.#dir, { recursive: true });
      writeFileSync(this.#file(i), new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      this.#chunks[i] = null;
      this.#spilled++;
    } else {
      this.#chunks[i] = x;
      this.#budget.used += x.byteLength;
    }
  }

  get(i: number): Float32Array {
    const c = this.#chunks[i];
    if (c) return c;
    if (c === undefined) throw new Error(`activation chunk ${this.name}[${i}] was never written`);
    const b = readFileSync(this.#file(i));
    // Copy: a Buffer may sit at an offset of Node's pool that is not 4-byte aligned.
    const out = new Float32Array(b.byteLength / 4);
    new Uint8Array(out.buffer).set(b);
    return out;
  }

  #drop(i: number): void {
    const c = this.#chunks[i];
    if (c) this.#budget.used -= c.byteLength;
    else if (c === null) rmSync(this.#file(i), { force: true });
  }

  /** Release RAM and spill files. */
  clear(): void {
    for (let i = 0; i < this.#chunks.length; i++) this.#drop(i);
    this.#chunks = [];
    this.#spilled = 0;
  }
}
