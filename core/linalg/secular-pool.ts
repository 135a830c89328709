// The secular equation (secular-kernel.ts) across worker threads: the calling thread and a small pool
// of workers take units of each phase from one shared counter, all arrays in shared memory. Every root
// and column is computed by the same code with the same arithmetic as the serial path, so the results
// are bit-identical whatever the thread count. The workers run the kernels' own source text (eval
// workers, as core/synth/fill-pool.ts does), so this works unchanged from tsx and from an esbuild
// bundle with no worker file to locate. The pool is created on first use, reused by every merge and
// call, and unref'd while idle so it never keeps Node alive.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { secularColumns, secularLowner, secularRoots, secularTranspose } from './secular-kernel';
import { addSince, type Timings } from './timing';
import { ConvergenceError } from './tql2';

/**
 * Threads (the caller included) for large secular equations: SLICE_STUDIO_SECULAR_THREADS when set
 * (1 = serial), else os.availableParallelism().
 */
export function secularThreads(): number {
  const env = Number(process.env.SLICE_STUDIO_SECULAR_THREADS);
  return Number.isInteger(env) && env >= 1 ? env : availableParallelism();
}

/**
 * Smallest k worth threads: below it the messages and the cold workers cost more than they save.
 * Measured on 2 cores (bench/results/eigh-secular-threads-cpu-here.json): break-even between k = 128
 * (0.89×) and 256 (1.8×).
 */
export const SECULAR_THREADS_MIN_K = 256;

// Node's eval workers are CommonJS scripts. `__name` is the helper esbuild (and tsx) call to keep a
// nested function's name; the kernels have none, but a shim keeps a future one from breaking the workers.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
var __name = (f) => f;
const kernels = [${[secularRoots, secularLowner, secularColumns, secularTranspose].map((f) => `(${f.toString()})`).join(', ')}];
parentPort.on('message', (m) => {
  try {
    parentPort.postMessage({ failed: run(m) });
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.stack) || e) });
  }
});
function run(m) {
  const k = m.k;
  const s = new Float64Array(m.small);
  const v = (i) => s.subarray(i * k, (i + 1) * k);
  const delta = new Float64Array(m.delta, 0, k * k);
  const counter = new Int32Array(m.counter);
  const [roots, lowner, columns, transpose] = kernels;
  if (m.phase === 0) return roots(k, m.rho, v(0), v(2), v(3), delta, counter, m.chunk, v(6), v(7));
  if (m.phase === 1) return lowner(k, v(0), v(1), v(4), delta, counter, m.chunk);
  if (m.phase === 2) return columns(k, v(4), v(5), delta, counter, m.chunk);
  return transpose(k, v(5), delta, counter, m.chunk);
}`;

interface Pending {
  res: (failed: number) => void;
  rej: (e: Error) => void;
}

class SecularPool {
  readonly workers: Worker[];
  readonly pending: (Pending | null)[];
  /** Solves run one at a time (two eighs may interleave at their awaits). */
  queue: Promise<unknown> = Promise.resolve();
  /** Set when a worker died: later posts fail at once instead of waiting on stopped workers. */
  dead: Error | null = null;

  constructor(size: number) {
    this.pending = Array.from({ length: size }, () => null);
    this.workers = Array.from({ length: size }, (_, w) => {
      // No inherited flags: --input-type=module (a parent run with -e) would make this CommonJS source an ES module.
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [] });
      worker.on('message', (m: { failed?: number; error?: string }) => {
        const p = this.pending[w];
        this.pending[w] = null;
        if (m.error !== undefined) p?.rej(new Error(`secular worker: ${m.error}`));
        else p?.res(m.failed ?? -1);
      });
      // A dead worker (a bug, not a user error) fails its part and ends the pool: the others are
      // stopped (their pending parts fail on exit) and the next solve starts a fresh pool.
      worker.on('error', (e) => this.fail(w, e));
      worker.on('exit', () => this.fail(w, new Error('secular worker exited')));
      worker.unref();
      return worker;
    });
  }

  fail(w: number, e: Error): void {
    this.pending[w]?.rej(e);
    this.pending[w] = null;
    this.dead ??= e;
    if (pool !== this) return;
    pool = null;
    for (const other of this.workers) void other.terminate();
  }

  /** Sends `msg` to every worker; resolves with each one's result. */
  post(msg: object): Promise<number>[] {
    return this.workers.map(
      (worker, w) =>
        new Promise<number>((res, rej) => {
          if (this.dead) return rej(this.dead);
          this.pending[w] = { res, rej };
          worker.postMessage(msg);
        }),
    );
  }

  /** While a solve is under way the workers keep Node alive (its promise waits on them); idle, they do not. */
  hold(on: boolean): void {
    for (const w of this.workers) {
      if (on) w.ref();
      else w.unref();
    }
  }
}

let pool: SecularPool | null = null;

function getPool(workers: number): SecularPool {
  if (!pool || pool.workers.length !== workers) {
    const old = pool;
    pool = new SecularPool(workers);
    if (old) void old.queue.then(() => Promise.all(old.workers.map((w) => w.terminate())));
  }
  return pool;
}

/** Shared memory for `elements` float64s (e.g. a merge's k×k delta, reused across merges). */
export function sharedFloat64(elements: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(elements * 8));
}

export interface ThreadedSecular {
  lambda: Float64Array;
  /** k×k row-major in `delta`'s memory: column j the unit eigenvector of λ_j (as secularVectors); empty with `vectors` false. */
  U: Float64Array;
  /** Löwner's ẑ and each root's origin index and offset (as secularZhat and solveSecular). */
  zhat: Float64Array;
  origin: Float64Array;
  tau: Float64Array;
}

/**
 * solveSecular + secularVectors on `threads` threads (this one and threads − 1 workers). `delta` is
 * shared memory (sharedFloat64) of at least k² elements; U is returned there. With `vectors` false the
 * solve stops after ẑ (secularZhat: the columns are formed elsewhere, e.g. on a GPU) and U is empty.
 */
export async function threadedSecular(d: Float64Array, z: Float64Array, k: number, rho: number, delta: Float64Array, threads: number, vectors = true, timings?: Timings): Promise<ThreadedSecular> {
  if (!(delta.buffer instanceof SharedArrayBuffer) || delta.byteOffset !== 0 || delta.length < k * k) throw new RangeError('threadedSecular: delta must be a shared buffer of k² elements');
  const t0 = performance.now();
  const p = getPool(Math.max(1, threads - 1));
  addSince(timings, 'tridiagonalSolve.secular.start', t0);
  const run = p.queue.then(() => solve(p, d, z, k, rho, delta, threads, vectors, timings));
  p.queue = run.catch(() => undefined);
  return run;
}

async function solve(p: SecularPool, d: Float64Array, z: Float64Array, k: number, rho: number, deltaIn: Float64Array, threads: number, vectors: boolean, timings: Timings): Promise<ThreadedSecular> {
  // small: d, z, z², λ, ẑ, 1/norms, origins, offsets (k each).
  const small = new SharedArrayBuffer(8 * k * 8);
  const s = new Float64Array(small);
  const v = (i: number) => s.subarray(i * k, (i + 1) * k);
  const [ds, zs, z2, lambda, zhat, inv, origin, tau] = [v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7)];
  ds.set(d.subarray(0, k));
  zs.set(z.subarray(0, k));
  for (let i = 0; i < k; i++) z2[i] = zs[i] * zs[i];
  const delta = deltaIn.subarray(0, k * k);
  const counterBuf = new SharedArrayBuffer(4);
  const counter = new Int32Array(counterBuf);
  // Units per grab: several grabs per thread, so uneven roots (iteration counts differ) balance.
  const roots = Math.max(1, Math.floor(k / (threads * 16)));
  const blocks = Math.max(1, Math.floor(Math.ceil(k / 64) / (threads * 4)));
  const phases: [number, number, () => number][] = [
    [0, roots, () => secularRoots(k, rho, ds, z2, lambda, delta, counter, roots, origin, tau)],
    [1, blocks, () => secularLowner(k, ds, zs, zhat, delta, counter, blocks)],
    [2, roots, () => secularColumns(k, zhat, inv, delta, counter, roots)],
    [3, 1, () => secularTranspose(k, inv, delta, counter, 1)],
  ];
  if (!vectors) phases.length = 2;
  p.hold(true);
  try {
    for (const [phase, chunk, here] of phases) {
      Atomics.store(counter, 0, 0);
      let t = performance.now();
      const parts = p.post({ phase, k, rho, chunk, small, delta: delta.buffer, counter: counterBuf });
      addSince(timings, 'tridiagonalSolve.secular.post', t);
      let failed = -1;
      let thrown: unknown = null;
      t = performance.now();
      try {
        failed = here();
      } catch (e) {
        thrown = e;
      }
      addSince(timings, 'tridiagonalSolve.secular.here', t);
      t = performance.now();
      // Workers finish their units even if this thread threw: wait for them before the memory is reused.
      const done = await Promise.allSettled(parts);
      addSince(timings, 'tridiagonalSolve.secular.wait', t);
      if (thrown) throw thrown;
      for (const r of done) {
        if (r.status === 'rejected') throw r.reason;
        if (r.value >= 0 && (failed < 0 || r.value < failed)) failed = r.value;
      }
      if (failed >= 0) throw new ConvergenceError(`secular equation did not converge (root ${failed} of ${k})`);
    }
  } finally {
    p.hold(false);
  }
  return { lambda: lambda.slice(), U: vectors ? delta : new Float64Array(0), zhat: zhat.slice(), origin: origin.slice(), tau: tau.slice() };
}
