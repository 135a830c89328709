// The secular equation (secular-kernel.ts) across worker threads: the calling thread and a small pool
// of workers take units of each phase from one shared counter, all arrays in shared memory. Every root
// and column is computed by the same code with the same arithmetic as the serial path, so the results
// are bit-identical whatever the thread count. The workers run the kernels' own source text (eval
// workers, as core/synth/fill-pool.ts does), so this works unchanged from tsx and from an esbuild
// bundle with no worker file to locate. The pool is started early by the eigensolvers (startSecularPool,
// while the matrix is tridiagonalised; otherwise on first use), reused by every merge and call, and
// unref'd while idle so it never keeps Node alive. Workers wait on shared counters, not messages.
import { addSince, timedWait, type Timings } from '../base/laps';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { secularColumns, secularLowner, secularRoots, secularTranspose } from './secular-kernel';
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

// The workers never return to their event loops: each waits on the control word GEN (Atomics.wait) and,
// woken by a new generation, runs the phase described in shared memory and counts itself off DONE; the
// last one wakes the caller. So a phase costs one notify and one wake-up, not a message each way per
// worker (measured on 2 cores: bench/results/eigh-secular-dispatch-2core.json). New shared buffers (a larger
// k, another delta) go to a worker on its own port before the generation that uses them, and it picks them
// up with receiveMessageOnPort; errors come back the same way.
const GEN = 0;
const DONE = 1;
const COUNTER = 2;
const FAILED = 3;
const ERROR = 4;
const STOP = 5;
const CONTROL_INTS = 8;
/** params: phase, k, ρ, chunk. */
const PARAMS = 4;

// Node's eval workers are CommonJS scripts. `__name` is the helper esbuild (and tsx) call to keep a
// nested function's name; the kernels have none, but a shim keeps a future one from breaking the workers.
const WORKER_SOURCE = `
const { workerData, receiveMessageOnPort } = require('node:worker_threads');
var __name = (f) => f;
const kernels = [${[secularRoots, secularLowner, secularColumns, secularTranspose].map((f) => `(${f.toString()})`).join(', ')}];
const { port } = workerData;
const ctrl = new Int32Array(workerData.control);
const counter = new Int32Array(workerData.control, ${COUNTER * 4}, 1);
const params = new Float64Array(workerData.params);
const lowest = ${lowestFailure.toString()};
(${warmKernels.toString()})(...kernels);
let small = null;
let delta = null;
for (let seen = 0; ; ) {
  Atomics.wait(ctrl, ${GEN}, seen);
  seen = Atomics.load(ctrl, ${GEN});
  if (Atomics.load(ctrl, ${STOP})) break;
  for (let m; (m = receiveMessageOnPort(port)); ) ({ small, delta } = m.message);
  try {
    lowest(ctrl, run());
  } catch (e) {
    Atomics.store(ctrl, ${ERROR}, 1);
    port.postMessage(String((e && e.stack) || e));
  }
  if (Atomics.sub(ctrl, ${DONE}, 1) === 1) Atomics.notify(ctrl, ${DONE});
}
function run() {
  const [phase, k, rho, chunk] = params;
  const s = new Float64Array(small);
  const v = (i) => s.subarray(i * k, (i + 1) * k);
  const dk = new Float64Array(delta, 0, k * k);
  const [roots, lowner, columns, transpose] = kernels;
  if (phase === 0) return roots(k, rho, v(0), v(2), v(3), dk, counter, chunk, v(6), v(7));
  if (phase === 1) return lowner(k, v(0), v(1), v(4), dk, counter, chunk);
  if (phase === 2) return columns(k, v(4), v(5), dk, counter, chunk);
  return transpose(k, v(5), dk, counter, chunk);
}`;

/** ctrl[FAILED] ← the lower of it and `failed` (−1: none), atomically. Self-contained: the workers run its source. */
function lowestFailure(ctrl: Int32Array, failed: number): void {
  if (failed < 0) return;
  for (;;) {
    const cur = Atomics.load(ctrl, 3);
    if (cur >= 0 && cur <= failed) return;
    if (Atomics.compareExchange(ctrl, 3, cur, failed) === cur) return;
  }
}

class SecularPool {
  readonly workers: Worker[];
  readonly ports: MessagePort[];
  readonly ctrl = new Int32Array(new SharedArrayBuffer(CONTROL_INTS * 4));
  readonly counter = new Int32Array(this.ctrl.buffer, COUNTER * 4, 1);
  readonly params = new Float64Array(new SharedArrayBuffer(PARAMS * 8));
  /** d, z, z², λ, ẑ, 1/norms, origins, offsets (8k float64), grown to the largest k. */
  small = new SharedArrayBuffer(0);
  /** The buffers the workers hold. */
  sent: { small: SharedArrayBuffer; delta: SharedArrayBuffer } | null = null;
  /** Solves run one at a time (two eighs may interleave at their awaits). */
  queue: Promise<unknown> = Promise.resolve();
  /** Set when a worker died: later solves fail at once instead of waiting on stopped workers. */
  dead: Error | null = null;
  /** Rejects when a worker dies, so that a phase waiting on it fails instead of hanging. */
  readonly death: Promise<never>;
  private die!: (e: Error) => void;

  constructor(size: number) {
    this.death = new Promise<never>((_, rej) => (this.die = rej));
    this.death.catch(() => undefined);
    this.ports = [];
    this.workers = Array.from({ length: size }, (_, w) => {
      const { port1, port2 } = new MessageChannel();
      this.ports.push(port1);
      // No inherited flags: --input-type=module (a parent run with -e) would make this CommonJS source an ES module.
      const worker = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { control: this.ctrl.buffer, params: this.params.buffer, port: port2 }, transferList: [port2] });
      // A dead worker (a bug, not a user error) fails the phase under way and ends the pool: the others are
      // stopped and the next solve starts a fresh pool.
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', () => this.fail(new Error(`secular worker ${w} exited`)));
      worker.unref();
      return worker;
    });
  }

  fail(e: Error): void {
    this.dead ??= e;
    this.die(this.dead);
    if (pool === this) pool = null;
    this.stop();
  }

  /** Ends the workers (idle ones leave their wait loop; a busy one finishes its units first). */
  stop(): void {
    Atomics.store(this.ctrl, STOP, 1);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
    for (const p of this.ports) p.close();
  }

  /** Hands `delta` (and the current small buffer) to the workers if they do not hold them yet. */
  share(delta: SharedArrayBuffer): void {
    if (this.sent?.small === this.small && this.sent.delta === delta) return;
    this.sent = { small: this.small, delta };
    for (const p of this.ports) p.postMessage(this.sent);
  }

  /** Starts phase `phase` on every worker. */
  start(phase: number, k: number, rho: number, chunk: number): void {
    this.params.set([phase, k, rho, chunk]);
    Atomics.store(this.counter, 0, 0);
    Atomics.store(this.ctrl, FAILED, -1);
    Atomics.store(this.ctrl, DONE, this.workers.length);
    Atomics.add(this.ctrl, GEN, 1);
    Atomics.notify(this.ctrl, GEN);
  }

  /** Resolves when every worker has finished the current phase; rejects if one died. */
  async finished(): Promise<void> {
    for (let left = Atomics.load(this.ctrl, DONE); left !== 0; left = Atomics.load(this.ctrl, DONE)) {
      if (this.dead) throw this.dead;
      if (!waitAsync) {
        Atomics.wait(this.ctrl, DONE, left);
        continue;
      }
      const w = waitAsync(this.ctrl, DONE, left);
      if (w.async) await Promise.race([w.value, this.death]);
    }
  }

  /** The first error a worker reported in this phase. */
  error(): Error | null {
    if (!Atomics.load(this.ctrl, ERROR)) return null;
    Atomics.store(this.ctrl, ERROR, 0);
    let text = 'unknown error';
    for (const p of this.ports) {
      const m = receiveMessageOnPort(p);
      if (m) text = String(m.message);
    }
    return new Error(`secular worker: ${text}`);
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

/** Atomics.waitAsync (Node ≥ 16; not yet in TypeScript's lib here); without it the caller blocks on Atomics.wait. */
const waitAsync = (Atomics as unknown as { waitAsync?: (a: Int32Array, i: number, v: number) => { async: boolean; value: Promise<unknown> } }).waitAsync;

function getPool(workers: number): SecularPool {
  if (!pool || pool.workers.length !== workers) {
    const old = pool;
    pool = new SecularPool(workers);
    if (old) void old.queue.then(() => old.stop());
  }
  return pool;
}

/**
 * Starts the pool for `threads` threads now (nothing when 1), so that its workers' start-up (a few hundred
 * ms when cold) overlaps other work instead of delaying the first large merge. Idempotent.
 */
export function startSecularPool(threads = secularThreads()): void {
  if (threads > 1) getPool(threads - 1);
  if (warm) return;
  warm = true;
  // The kernels' first calls run in the interpreter until V8 optimizes them: one small solve now, while
  // nothing waits on it, instead of inside the first merges (~0.1 s of them at n = 1024 on 2 cores). The
  // workers do the same as they start.
  warmKernels(secularRoots, secularLowner, secularColumns, secularTranspose);
}

/** One small secular solve through the four kernels (their results unused). Self-contained: the workers run its source. */
function warmKernels(roots: typeof secularRoots, lowner: typeof secularLowner, columns: typeof secularColumns, transpose: typeof secularTranspose): void {
  const k = 192;
  const d = new Float64Array(k);
  const z = new Float64Array(k);
  const z2 = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    d[i] = i + (i % 7) / 8;
    z[i] = ((i % 5) + 1) / (4 * Math.sqrt(k));
    z2[i] = z[i] * z[i];
  }
  const [lambda, zhat, inv, origin, tau] = [new Float64Array(k), new Float64Array(k), new Float64Array(k), new Float64Array(k), new Float64Array(k)];
  const delta = new Float64Array(k * k);
  roots(k, 1, d, z2, lambda, delta, new Int32Array(1), k, origin, tau);
  lowner(k, d, z, zhat, delta, new Int32Array(1), k);
  columns(k, zhat, inv, delta, new Int32Array(1), k);
  transpose(k, inv, delta, new Int32Array(1), 1);
}

let warm = false;

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
  if (p.dead) throw p.dead;
  if (p.small.byteLength < 8 * k * 8) p.small = new SharedArrayBuffer(8 * k * 8);
  const s = new Float64Array(p.small);
  const v = (i: number) => s.subarray(i * k, (i + 1) * k);
  const [ds, zs, z2, lambda, zhat, inv, origin, tau] = [v(0), v(1), v(2), v(3), v(4), v(5), v(6), v(7)];
  ds.set(d.subarray(0, k));
  zs.set(z.subarray(0, k));
  for (let i = 0; i < k; i++) z2[i] = zs[i] * zs[i];
  const delta = deltaIn.subarray(0, k * k);
  const { counter } = p;
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
  p.share(deltaIn.buffer as SharedArrayBuffer);
  p.hold(true);
  try {
    for (const [phase, chunk, here] of phases) {
      let t = performance.now();
      p.start(phase, k, rho, chunk);
      addSince(timings, 'tridiagonalSolve.secular.post', t);
      let thrown: unknown = null;
      t = performance.now();
      try {
        lowestFailure(p.ctrl, here());
      } catch (e) {
        thrown = e;
      }
      addSince(timings, 'tridiagonalSolve.secular.here', t);
      // Workers finish their units even if this thread threw: wait for them before the memory is reused.
      await timedWait(timings, 'tridiagonalSolve.secular.wait', () => p.finished());
      if (thrown) throw thrown;
      const err = p.error();
      if (err) throw err;
      const failed = Atomics.load(p.ctrl, FAILED);
      if (failed >= 0) throw new ConvergenceError(`secular equation did not converge (root ${failed} of ${k})`);
    }
  } finally {
    p.hold(false);
  }
  return { lambda: lambda.slice(), U: vectors ? delta : new Float64Array(0), zhat: zhat.slice(), origin: origin.slice(), tau: tau.slice() };
}
