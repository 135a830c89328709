// Calibration activations, held layer-major: one chunk per batch of windows, all of one signal.
// Above the RAM budget, chunks spill to files in the job's scratch folder and are read back on demand, so
// 128 × 2048 tokens × 4096 wide (4 GB per signal) does not have to be resident.
// On a GPU EP a chunk may instead be a device tensor (ORT `gpu-buffer`), kept there while the device
// budget allows — the next block reads it without any transfer — and downloaded to the host above it.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { explainDiskFull } from '../files/disk-full';
import { join } from 'node:path';
import type { Tensor } from 'onnxruntime-node';
import { releaseTensor } from '../runtime/device';

/** One chunk of activations: host floats, or a [batch, seq, width] tensor (host or device). */
export type Activations = Float32Array | Tensor;

/** Where device chunks go and how they come back to the host. */
export interface DeviceSide {
  budget: RamBudget;
  download(t: Tensor): Promise<Float32Array>;
}

/** Bytes a device chunk occupies (float16 passes keep half-size chunks). */
const deviceBytes = (t: Tensor): number => t.size * (t.type === 'float16' ? 2 : 4);

/** Bytes currently held in RAM by all stores sharing one budget. */
export class RamBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

export class ActivationStore {
  readonly name: string;
  readonly width: number;
  /** Host chunks: the data, null = spilled to its file, undefined = none (never written, dropped, or on the device). */
  #chunks: (Float32Array | null | undefined)[] = [];
  /** Device-resident chunks (index → tensor); such an index has no host chunk. */
  #device = new Map<number, Tensor>();
  /** Values per chunk, wherever it lives (host, spill file or device): the store's size without reading it. */
  #floats: number[] = [];
  #dir: string;
  #budget: RamBudget;
  #side?: DeviceSide;
  #spilled = 0;

  constructor(o: { name: string; width: number; dir: string; budget: RamBudget; device?: DeviceSide }) {
    this.name = o.name;
    this.width = o.width;
    this.#dir = o.dir;
    this.#budget = o.budget;
    this.#side = o.device;
  }

  /**
   * Stores a chunk wherever it fits best: a device tensor stays on the device within the device
   * budget (else it is downloaded and freed); host data goes to RAM or, above the RAM budget, to disk.
   */
  async put(i: number, x: Activations): Promise<void> {
    if (x instanceof Float32Array) return this.set(i, x);
    // float16 chunks stay tensors wherever they are (the CPU EP running the device path holds them on the host).
    // A float32 host tensor is kept as its data: the tensor is done with (released as a counted device tensor).
    if (x.location === 'cpu' && x.type === 'float32') {
      releaseTensor(x);
      return this.set(i, x.data as Float32Array);
    }
    const side = this.#side;
    if (!side) throw new Error(`activation store ${this.name} cannot hold device tensors`);
    this.#drop(i);
    const bytes = deviceBytes(x);
    if (side.budget.used + bytes <= side.budget.limit) {
      this.#device.set(i, x);
      this.#chunks[i] = undefined; // keeps `length` counting this index
      this.#floats[i] = x.size;
      side.budget.used += bytes;
      return;
    }
    const host = await side.download(x);
    releaseTensor(x);
    this.set(i, host);
  }

  /** The chunk to feed a block: the device tensor if it stayed there, else the host data. */
  feed(i: number): Activations {
    return this.#device.get(i) ?? this.get(i);
  }

  /** The chunk's values on the host (downloaded if it lives on the device). */
  async host(i: number): Promise<Float32Array> {
    const t = this.#device.get(i);
    return t ? this.#side!.download(t) : this.get(i);
  }

  get length(): number {
    return this.#chunks.length;
  }

  /** Values held in all (float32 on the host: ×4 bytes), counted without downloading or reading a chunk. */
  get floats(): number {
    let n = 0;
    for (const f of this.#floats) n += f ?? 0;
    return n;
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
    this.#floats[i] = x.length;
    if (this.#budget.used + x.byteLength > this.#budget.limit) {
      const file = this.#file(i);
      try {
        mkdirSync(this.#dir, { recursive: true });
        writeFileSync(file, new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
      } catch (e) {
        // A half-written chunk would only keep the disk full; the checkpoint (written elsewhere, per layer) is untouched.
        rmSync(file, { force: true });
        throw explainDiskFull(e, file, x.byteLength, 'calibration activations (over the RAM budget, they spill to disk)', 'the last complete checkpoint is kept: free some space and resume (--resume)');
      }
      this.#chunks[i] = null;
      this.#spilled++;
    } else {
      this.#chunks[i] = x;
      this.#budget.used += x.byteLength;
    }
  }

  get(i: number): Float32Array {
    if (this.#device.has(i)) throw new Error(`activation chunk ${this.name}[${i}] is on the device: read it with host()`);
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
    delete this.#floats[i];
    const t = this.#device.get(i);
    if (t) {
      this.#device.delete(i);
      this.#side!.budget.used -= deviceBytes(t);
      releaseTensor(t);
      return;
    }
    const c = this.#chunks[i];
    if (c) this.#budget.used -= c.byteLength;
    else if (c === null) rmSync(this.#file(i), { force: true });
  }

  /** Frees one chunk (RAM, spill file or device buffer); reading it afterwards is an error. */
  drop(i: number): void {
    this.#drop(i);
    this.#chunks[i] = undefined;
  }

  /** Release RAM and spill files. */
  clear(): void {
    for (let i = 0; i < this.#chunks.length; i++) this.#drop(i);
    this.#chunks = [];
    this.#floats = [];
    this.#spilled = 0;
  }
}
