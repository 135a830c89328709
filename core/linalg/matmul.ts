// Dense matrix products through ONNX Runtime's CPU Gemm, in float64 (the PCA of SliceGPT) or
// float32 (rotating weights: W·Q). All matrices are row-major. One session per (dtype, transposes,
// alpha, beta, C?) — dims are symbolic, so a handful of sessions serve every shape.
import * as ort from 'onnxruntime-node';
import { gemmModel, graphModel, type GemmGraphSpec, type GraphSpec, type LinalgDtype } from './gemm-graph';

export type FloatArray = Float32Array | Float64Array;

export class MatmulError extends Error {
  override name = 'MatmulError';
}

export interface GemmOptions<T extends FloatArray> {
  /** A is stored k×m and used transposed. */
  transA?: boolean;
  /** B is stored n×k and used transposed. */
  transB?: boolean;
  /** Must be exact in float32 (ONNX stores it as a float attribute): ±1, ±0.5, 2, … */
  alpha?: number;
  /** Y = alpha·op(A)·op(B) + beta·C with C m×n; beta must be exact in float32. */
  beta?: number;
  c?: T;
  /**
   * Preallocated m×n result (e.g. a view into a larger buffer); must not overlap any input. The
   * product is written there and `out` is returned. (onnxruntime-node 1.30 also copies it into a
   * fresh buffer, which is dropped.)
   */
  out?: T;
}

// Graph optimization is pointless for a few nodes; keep creation cheap. Spinning is off: the
// eigensolver alternates between several sessions, each with its own intra-op pool, and on 2 cores a
// pool that spins after its run starves the next session's threads (measured: 2–3× slower).
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  graphOptimizationLevel: 'disabled',
  executionMode: 'sequential',
  extra: { session: { intra_op: { allow_spinning: '0' } } },
};

const sessions = new Map<string, Promise<ort.InferenceSession>>();

function session(spec: GemmGraphSpec): Promise<ort.InferenceSession> {
  const key = JSON.stringify(spec);
  let s = sessions.get(key);
  if (!s) {
    s = ort.InferenceSession.create(gemmModel(spec), SESSION_OPTIONS);
    sessions.set(key, s);
  }
  return s;
}

// With spinning off, every parallel op wakes its pool's sleeping threads, a fixed cost per op that
// grows with the thread count; a graph run once per column (`hot`) pays it thousands of times. On a
// many-core machine spinning may win for those sessions alone; SLICE_LINALG_SPIN=1 turns it on for
// them (read when the session is created) so that this can be measured where it matters. Measured on
// the 16-core H100 host (n = 4096): 6.93 s spinning vs 6.52 s not, so it stays off.
function graphSessionOptions(spec: GraphSpec): ort.InferenceSession.SessionOptions {
  if (!spec.hot || process.env.SLICE_LINALG_SPIN !== '1') return SESSION_OPTIONS;
  return { ...SESSION_OPTIONS, extra: { session: { intra_op: { allow_spinning: '1' } } } };
}

const graphSessions = new WeakMap<GraphSpec, Promise<ort.InferenceSession>>();

/**
 * Runs a small custom graph (a constant spec object: sessions are cached by its identity). Each feed
 * is [data, rows, cols]; returns the outputs by name. Outputs named in `outs` ([data, rows, cols],
 * must not overlap any feed) are written there instead of into fresh arrays. (onnxruntime-node 1.30
 * still returns a copy of every output in a fresh JS buffer, dropped here: ~0.5 s per GB of output,
 * single-threaded, so big results should be few.)
 */
export async function runGraph<T extends FloatArray>(spec: GraphSpec, feeds: Record<string, [T, number, number]>, outs: Record<string, [T, number, number]> = {}): Promise<Record<string, T>> {
  let s = graphSessions.get(spec);
  if (!s) {
    s = ort.InferenceSession.create(graphModel(spec), graphSessionOptions(spec));
    graphSessions.set(spec, s);
  }
  const tensors: Record<string, ort.Tensor> = {};
  for (const [name, [data, rows, cols]] of Object.entries(feeds)) {
    check(name, data, rows * cols);
    tensors[name] = new ort.Tensor(spec.dtype, data, [rows, cols]);
  }
  const sess = await s;
  let out: ort.InferenceSession.ReturnType;
  if (Object.keys(outs).length === 0) out = await sess.run(tensors);
  else {
    // null fetches are allocated by ORT, as without `outs`.
    const fetches: Record<string, ort.Tensor | null> = {};
    for (const o of spec.outputs) {
      const given = outs[o.name];
      if (given) check(o.name, given[0], given[1] * given[2]);
      fetches[o.name] = given ? new ort.Tensor(spec.dtype, given[0], [given[1], given[2]]) : null;
    }
    out = await sess.run(tensors, fetches);
  }
  const result: Record<string, T> = {};
  for (const o of spec.outputs) result[o.name] = (outs[o.name]?.[0] ?? out[o.name].data) as T;
  return result;
}

function dtypeOf(a: FloatArray): LinalgDtype {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

function check(name: string, x: FloatArray, len: number): void {
  if (x.length !== len) throw new MatmulError(`${name} has ${x.length} elements, expected ${len}`);
}

/**
 * General product Y (m×n) = alpha·op(A)·op(B) + beta·C, where op(A) is m×k and op(B) is k×n.
 * Inputs may be subarray views; the result is a fresh array of the inputs' type.
 */
export async function gemm<T extends FloatArray>(a: T, b: T, m: number, k: number, n: number, opts: GemmOptions<T> = {}): Promise<T> {
  const dtype = dtypeOf(a);
  if (dtypeOf(b) !== dtype || (opts.c && dtypeOf(opts.c) !== dtype)) throw new MatmulError('gemm: A, B and C must share one dtype');
  check('A', a, m * k);
  check('B', b, k * n);
  if (opts.c) check('C', opts.c, m * n);
  if (opts.out) check('out', opts.out, m * n);
  const alpha = opts.alpha ?? 1;
  const beta = opts.c ? (opts.beta ?? 1) : 0;
  for (const [name, v] of [
    ['alpha', alpha],
    ['beta', beta],
  ] as const) {
    if (Math.fround(v) !== v) throw new MatmulError(`gemm: ${name} = ${v} is not exact in float32`);
  }
  const Ctor = (dtype === 'float64' ? Float64Array : Float32Array) as unknown as { new (n: number): T; from(x: ArrayLike<number>): T };
  if (m === 0 || n === 0) return opts.out ?? new Ctor(0);
  if (k === 0) {
    const y: T = opts.out ?? new Ctor(m * n);
    y.fill(0);
    if (opts.c && beta !== 0) for (let i = 0; i < y.length; i++) y[i] = beta * opts.c[i];
    return y;
  }
  const transA = !!opts.transA;
  const transB = !!opts.transB;
  const s = await session({ dtype, transA, transB, alpha, beta, withC: !!opts.c });
  const feeds: Record<string, ort.Tensor> = {
    A: new ort.Tensor(dtype, a, transA ? [k, m] : [m, k]),
    B: new ort.Tensor(dtype, b, transB ? [n, k] : [k, n]),
  };
  if (opts.c) feeds.C = new ort.Tensor(dtype, opts.c, [m, n]);
  if (opts.out) {
    await s.run(feeds, { Y: new ort.Tensor(dtype, opts.out, [m, n]) });
    return opts.out;
  }
  const out = await s.run(feeds);
  return out.Y.data as T;
}

/** C = A·B, A m×k, B k×n. */
export function matmul<T extends FloatArray>(a: T, b: T, m: number, k: number, n: number): Promise<T> {
  return gemm(a, b, m, k, n);
}

/** C = Aᵀ·B, A stored k×m, B k×n (e.g. XᵀY of two activation batches). */
export function matmulTN<T extends FloatArray>(a: T, b: T, k: number, m: number, n: number): Promise<T> {
  return gemm(a, b, m, k, n, { transA: true });
}

/** C = A·Bᵀ, A m×k, B stored n×k (e.g. rows of W times rows of Q). */
export function matmulNT<T extends FloatArray>(a: T, b: T, m: number, k: number, n: number): Promise<T> {
  return gemm(a, b, m, k, n, { transB: true });
}

/**
 * Accumulates the Gram matrix Σ XᵀX of row batches X (rows×cols) in float64, the statistic the
 * SliceGPT PCA diagonalizes. Float32 activations are widened first so the sum never rounds to float32.
 */
export class GramAccumulator {
  readonly cols: number;
  #sum: Float64Array;
  #rows = 0;

  constructor(cols: number) {
    if (!Number.isInteger(cols) || cols <= 0) throw new MatmulError(`Gram matrix width must be a positive integer, got ${cols}`);
    this.cols = cols;
    this.#sum = new Float64Array(cols * cols);
  }

  /** Rows accumulated so far. */
  get rows(): number {
    return this.#rows;
  }

  async add(x: FloatArray, rows: number): Promise<void> {
    check('X', x, rows * this.cols);
    if (rows === 0) return;
    const x64 = x instanceof Float64Array ? x : Float64Array.from(x);
    this.#sum = await gemm(x64, x64, this.cols, rows, this.cols, { transA: true, c: this.#sum, beta: 1 });
    this.#rows += rows;
  }

  /** The accumulated Σ XᵀX (cols×cols, row-major); symmetric up to rounding. */
  get sum(): Float64Array {
    return this.#sum;
  }
}
