// The pair pass of the PCA's upload (pair-pass.ts) across worker threads: the calling thread and availableParallelism − 1
// eval workers (as linalg/secular-pool.ts and synth/fill-pool.ts run theirs: the kernel's own source text, so this works
// from tsx and from a bundle) take block rows from one shared counter, the pair and the upload in SharedArrayBuffers.
// Every entry is computed by the same kernel with the same arithmetic, so the upload is bit-identical at any thread
// count. The caller waits synchronously (Atomics.wait: jobs run in worker threads, benches and tests on Node's main
// thread, where it is allowed), so dampedUpload stays synchronous; each pass has its own counter, so a worker that
// starts late (a cold pool) finds nothing left and writes nothing, and the caller waits for units, not for workers.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { PAIR_CTRL_INTS, PAIR_DONE, PAIR_FAILED, PAIR_TILE, pairPassUnits } from './pair-pass';

/** Threads (the caller included) for the pair pass: SLICE_STUDIO_UPLOAD_THREADS when set (1 = serial), else os.availableParallelism(). */
export function uploadThreads(): number {
  const env = Number(process.env.SLICE_STUDIO_UPLOAD_THREADS);
  return Number.isInteger(env) && env >= 1 ? env : availableParallelism();
}

/**
 * Smallest n worth threads: the pair's copy into shared memory and the messages cost more than they save below it.
 * Measured on 2 cores (bench/results/pca-host-threads-2core.json, `smaller`): at n = 1024 the pass is ~5 ms and 2
 * threads save ~1 ms.
 */
export const UPLOAD_THREADS_MIN_N = 1024;

// Node's eval workers are CommonJS scripts; `__name` is esbuild's (and tsx's) helper for a nested function's name.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
var __name = (f) => f;
const kernel = (${pairPassUnits.toString()});
parentPort.on('message', (m) => {
  const ctrl = new Int32Array(m.ctrl);
  try {
    kernel(new Float32Array(m.ps), new Float32Array(m.pc), m.n, new Float32Array(m.s), m.scale, ctrl, new Float64Array(m.amax), m.tile);
  } catch (e) {
    Atomics.store(ctrl, ${PAIR_FAILED}, 1);
    Atomics.notify(ctrl, ${PAIR_DONE});
    parentPort.postMessage(String((e && e.stack) || e));
  }
});`;

class UploadPool {
  readonly workers: Worker[];
  /** The last error a worker posted (its kernel threw: a bug, not a user error). */
  error = '';

  constructor(size: number) {
    this.workers = Array.from({ length: size }, () => {
      // No inherited flags: --input-type=module (a parent run with -e) would make this CommonJS source an ES module.
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      w.on('message', (m: string) => (this.error = m));
      w.on('error', (e) => (this.error = String(e.stack ?? e)));
      // Idle workers never keep Node alive; a pass needs no event loop (the caller waits on shared memory).
      w.unref();
      return w;
    });
  }
}

let pool: UploadPool | null = null;

function poolOf(workers: number): UploadPool {
  if (!pool || pool.workers.length !== workers) {
    for (const w of pool?.workers ?? []) void w.terminate();
    pool = new UploadPool(workers);
  }
  return pool;
}

/** Starts the workers for `threads` threads now (nothing when 1), so their start-up overlaps other work. Idempotent. */
export function startUploadPool(threads = uploadThreads()): void {
  if (threads > 1) poolOf(threads - 1);
}

/**
 * Ends the workers (the end of a job): an idle worker's heap is not collected, so it would keep the last pass's shared
 * arrays (the job's upload and pair, 768 MiB at n = 8192) alive. The next pass starts a fresh pool.
 */
export async function stopUploadPool(): Promise<void> {
  const old = pool;
  pool = null;
  await Promise.all((old?.workers ?? []).map((w) => w.terminate()));
}

/** A float32 array in shared memory. */
export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(new SharedArrayBuffer(length * 4));
}

/**
 * pairPassUnits over every block row of the n×n pair on `threads` threads (the caller and threads − 1 workers); `ps`,
 * `pc` and `s` must be in shared memory when threads > 1. Returns the max |entry| off the diagonal, NaN if one is not
 * finite. `here` false leaves every unit to the workers (tests: a small pass would otherwise be over before they start).
 */
export function pairPass(ps: Float32Array, pc: Float32Array, n: number, s: Float32Array, scale: number, threads: number, here = true): number {
  const units = Math.ceil(n / PAIR_TILE);
  const shared = threads > 1;
  const ctrl = new Int32Array(shared ? new SharedArrayBuffer(PAIR_CTRL_INTS * 4) : new ArrayBuffer(PAIR_CTRL_INTS * 4));
  const amax = new Float64Array(shared ? new SharedArrayBuffer(units * 8) : new ArrayBuffer(units * 8));
  if (shared) {
    for (const a of [ps, pc, s]) if (!(a.buffer instanceof SharedArrayBuffer) || a.byteOffset !== 0 || a.length !== n * n) throw new RangeError('pairPass: the pair and the upload must be n² floats of shared memory');
    const m = { ps: ps.buffer, pc: pc.buffer, s: s.buffer, n, scale, ctrl: ctrl.buffer, amax: amax.buffer, tile: PAIR_TILE };
    for (const w of poolOf(threads - 1).workers) w.postMessage(m);
  }
  if (here || !shared) pairPassUnits(ps, pc, n, s, scale, ctrl, amax, PAIR_TILE);
  // The units left are in other threads' hands, each finishing in well under a second.
  for (let done = Atomics.load(ctrl, PAIR_DONE); done < units; done = Atomics.load(ctrl, PAIR_DONE)) {
    if (Atomics.load(ctrl, PAIR_FAILED)) throw new Error(`upload worker: ${pool?.error || 'failed'}`);
    Atomics.wait(ctrl, PAIR_DONE, done, 100);
  }
  let out = 0;
  for (let b = 0; b < units; b++) {
    if (Number.isNaN(amax[b])) return NaN;
    out = Math.max(out, amax[b]);
  }
  return out;
}
