// fillKernel on worker threads: one chunk split into even-aligned parts, one per worker, written straight
// into shared memory. Generation then outruns a single core (the GPU machine has 16), and the main thread
// only writes. The workers run the kernel's own source text (eval workers), so this works unchanged from
// tsx and from an esbuild bundle, with no separate worker file to ship.
import { Worker } from 'node:worker_threads';
import { fillKernel, gaussianTable, type BitsDtype, type Draw } from '../linalg/gaussian';

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const fillKernel = (${fillKernel.toString()});
const table = new Float32Array(workerData.table);
parentPort.on('message', (m) => {
  const out = new Uint16Array(m.sab, m.byteOffset, m.length);
  fillKernel(table, out, m.first, m.seed, m.rows, m.cols, m.std, m.mean, m.cs, m.rs, m.half);
  parentPort.postMessage(m.id);
});`;

export class FillPool {
  readonly size: number;
  #workers: Worker[];
  #waiting = new Map<number, { res: () => void; rej: (e: Error) => void }>();
  #next = 0;

  constructor(size: number) {
    this.size = size;
    const table = new SharedArrayBuffer(gaussianTable().byteLength);
    new Float32Array(table).set(gaussianTable());
    this.#workers = Array.from({ length: size }, () => {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { table } });
      w.on('message', (id: number) => {
        this.#waiting.get(id)?.res();
        this.#waiting.delete(id);
      });
      // a dead worker fails every pending part (a bug, not a user error: it keeps its message)
      w.on('error', (e) => {
        for (const p of this.#waiting.values()) p.rej(e);
        this.#waiting.clear();
      });
      return w;
    });
  }

  /** A buffer the workers can write into. */
  static buffer(elements: number): Uint16Array {
    return new Uint16Array(new SharedArrayBuffer(elements * 2));
  }

  /** fill() over `out` (a FillPool.buffer view), split across the workers. */
  async fill(d: Draw, first: number, out: Uint16Array, dtype: BitsDtype): Promise<void> {
    const n = out.length;
    const part = Math.ceil(n / this.size / 2) * 2; // even: pairs share one hash
    const jobs: Promise<void>[] = [];
    for (let k = 0, start = 0; start < n; k++, start += part) {
      const length = Math.min(part, n - start);
      const id = this.#next++;
      jobs.push(new Promise<void>((res, rej) => this.#waiting.set(id, { res, rej })));
      this.#workers[k].postMessage({
        id, sab: out.buffer, byteOffset: out.byteOffset + start * 2, length, first: first + start,
        seed: d.seed | 0, rows: d.rows, cols: d.cols, std: d.std, mean: d.mean ?? 0, cs: d.colScale ?? null, rs: d.rowScale ?? null, half: dtype === 'f16',
      });
    }
    await Promise.all(jobs);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
