// The prefetch's per-matrix host work on worker threads (issue #11): onnxruntime-node runs every session.run on the
// main thread, waiting for the GPU with the event loop blocked, so main-thread work cannot overlap the passes — it
// adds to them (~8 s a 7B layer on a 2-core box: widening bfloat16, folding the norm into its readers, the exact
// float16 form of each linear). Here each 16-bit linear's bits, as read (a plain ArrayBuffer, transferred, never
// copied), go to a small pool of eval workers (the kernels' own source text, as upload-pool.ts and synth/fill-pool.ts
// run theirs, so this works from tsx and from a bundle) that run the very loops the main thread would: widen
// (model/bf16-bits.ts), fold the RMSNorm's γ (fuse.ts foldRows), the exact float16 form (runtime/half-weights.ts);
// the answers come back by transfer and are registered where fuseLayer and the device engine's prepare look them up
// (fuse.ts rememberFold, half-weights.ts rememberHalfExact), so the rest of the slice sees the same arrays and values.
// No SharedArrayBuffer is used: these arrays reach Dawn, whose Node build crashes on writeBuffer of a shared view.
// SLICE_STUDIO_PREFETCH_WORKERS: the number of workers (0: none, the main-thread path); by default
// availableParallelism() − 1, at most MAX_WORKERS, at least 1.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { WidenHook } from '../model/model-source';
import { halfToFloat } from '../model/safetensors';
import { widen16, widenBf16Kernel, widenF16Kernel } from '../model/bf16-bits';
import { halfExactScan, halfFromBf16, rememberHalfExact } from '../runtime/half-weights';
import { foldRows, rememberFold } from './fuse';

/** More workers than this buy nothing: a layer has 7 linears, and the reads feed them at disk speed. */
const MAX_WORKERS = 6;

/** Below this many weights a linear is widened on the main thread: the messages cost more than they save. */
export const PREFETCH_POOL_MIN = 1 << 16;

/** Workers for the prefetch: SLICE_STUDIO_PREFETCH_WORKERS when set (0 = off), else availableParallelism() − 1 (1…6). */
export function prefetchWorkers(): number {
  const env = process.env.SLICE_STUDIO_PREFETCH_WORKERS;
  const n = Number(env);
  if (env !== undefined && env !== '' && Number.isInteger(n) && n >= 0) return n;
  return Math.max(1, Math.min(MAX_WORKERS, availableParallelism() - 1));
}

// Node's eval workers are CommonJS scripts; `__name` is esbuild's (and tsx's) helper for a nested function's name.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
var __name = (f) => f;
const widenBf16Kernel = (${widenBf16Kernel.toString()});
const widenF16Kernel = (${widenF16Kernel.toString()});
const foldRows = (${foldRows.toString()});
const halfFromBf16 = (${halfFromBf16.toString()});
const halfExactScan = (${halfExactScan.toString()});
const table = new Float32Array(workerData.table);
parentPort.on('message', (m) => {
  try {
    const bits = new Uint16Array(m.bits);
    const values = new ArrayBuffer(bits.length * 4);
    let top = 0, low = 0x100;
    if (m.bf16) [top, low] = widenBf16Kernel(bits, new Uint32Array(values));
    else widenF16Kernel(table, bits, new Float32Array(values));
    let fused = null;
    if (m.gamma) {
      const g = new Float32Array(m.gamma);
      fused = new Float32Array(bits.length);
      foldRows(new Float32Array(values), g, fused, bits.length / g.length, g.length);
    }
    // halfExact's decision, in its order: from the bfloat16 bits (written over them) when their range allows, else
    // the passes over the float32 values.
    const h = m.bf16 && top > 0 && top < 0xff ? halfFromBf16(bits, top, low) : halfExactScan(new Uint32Array(values));
    const out = { id: m.id, values, fused: fused && fused.buffer, half: h && h.bits.buffer, scale: h ? h.scale : 0 };
    parentPort.postMessage(out, [values, ...(fused ? [fused.buffer] : []), ...(h ? [h.bits.buffer] : [])]);
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: String((e && e.stack) || e) });
  }
});`;

interface Answer {
  id: number;
  values: ArrayBuffer;
  fused: ArrayBuffer | null;
  half: ArrayBuffer | null;
  scale: number;
  error?: string;
}

interface Pending {
  res: (a: Answer) => void;
  rej: (e: Error) => void;
  worker: number;
}

export class PrefetchPool {
  readonly size: number;
  #workers: Worker[];
  #load: number[];
  #waiting = new Map<number, Pending>();
  #next = 0;
  #closing = false;
  /** Why the pool can take no more jobs (a worker died), or null. */
  failed: Error | null = null;

  constructor(size: number) {
    this.size = size;
    const table = new Float32Array(halfToFloat).buffer; // a copy for each worker (256 KiB, once)
    this.#load = new Array<number>(size).fill(0);
    this.#workers = Array.from({ length: size }, (_, k) => {
      // No inherited flags: --input-type=module (a parent run with -e) would make this CommonJS source an ES module.
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { table } });
      w.on('message', (a: Answer) => {
        const p = this.#waiting.get(a.id);
        if (!p) return;
        this.#waiting.delete(a.id);
        if (--this.#load[k] === 0) w.unref();
        if (a.error) p.rej(new Error(`prefetch worker: ${a.error}`));
        else p.res(a);
      });
      // A dead worker (a bug or out of memory, not a user error: it keeps its message) fails what it holds, and the
      // pool: later jobs fail at once instead of waiting on it forever (prefetchHook then starts a fresh pool).
      const fail = (e: Error) => {
        this.failed ??= e;
        for (const [id, p] of this.#waiting) {
          if (p.worker !== k) continue;
          this.#waiting.delete(id);
          p.rej(e);
        }
      };
      w.on('error', fail);
      w.on('exit', (code) => {
        if (!this.#closing) fail(new Error(`prefetch worker exited (code ${code})`));
      });
      // Idle workers never keep Node alive; one with work does (ref'd while it holds a job).
      w.unref();
      return w;
    });
  }

  /**
   * The WidenHook that sends each linear of at least `min` weights to the workers: the values widenBf16/widenF16 would
   * return, with the RMSNorm reader's fold (fuse.ts rememberFold) and the values' exact float16 form
   * (half-weights.ts rememberHalfExact) registered.
   */
  hook(min = PREFETCH_POOL_MIN): WidenHook {
    return async (bits, dtype, reads) => {
      if (bits.length < min || bits.byteOffset !== 0 || bits.byteLength !== bits.buffer.byteLength || (reads && bits.length % reads.length !== 0)) return widen16(bits, dtype);
      const a = await this.#run(bits.buffer as ArrayBuffer, dtype === 'BF16', reads);
      const values = new Float32Array(a.values);
      if (reads && a.fused) rememberFold(values, reads, new Float32Array(a.fused));
      rememberHalfExact(values, a.half ? { bits: new Uint16Array(a.half), scale: a.scale } : null);
      return values;
    };
  }

  #run(bits: ArrayBuffer, bf16: boolean, gamma: Float32Array | undefined): Promise<Answer> {
    if (this.failed) return Promise.reject(this.failed);
    // The least loaded worker (the linears differ in size: 16M to 45M weights at 7B).
    let k = 0;
    for (let j = 1; j < this.size; j++) if (this.#load[j] < this.#load[k]) k = j;
    const id = this.#next++;
    const w = this.#workers[k];
    if (this.#load[k]++ === 0) w.ref();
    return new Promise<Answer>((res, rej) => {
      this.#waiting.set(id, { res, rej, worker: k });
      // γ is copied (D floats); the bits are moved.
      w.postMessage({ id, bits, bf16, gamma: gamma ? gamma.slice().buffer : null }, [bits]);
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.failed ??= new Error('prefetch pool closed');
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

let shared: PrefetchPool | null = null;

/** The process's pool's hook (started on first use), or undefined when SLICE_STUDIO_PREFETCH_WORKERS is 0. */
export function prefetchHook(): WidenHook | undefined {
  const n = prefetchWorkers();
  if (n === 0) return undefined;
  if (!shared || shared.size !== n || shared.failed) {
    void shared?.close();
    shared = new PrefetchPool(n);
  }
  return shared.hook();
}

/** Ends the process's pool (the end of a job; the next prefetchHook starts a fresh one). */
export async function stopPrefetchPool(): Promise<void> {
  const old = shared;
  shared = null;
  await old?.close();
}
