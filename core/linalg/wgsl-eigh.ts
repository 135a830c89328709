// The symmetric eigendecomposition with its O(n³) work in WGSL compute shaders on a WebGPU device (Dawn
// for Node), float32 on the device and float64 on the host:
//   1. A (scaled, symmetrized) goes up once as float32 and stays there;
//   2. tridiagonalization on the device, blocked in panels (one GEMM per panel), no host round trip
//      (wgsl-tridiagonalize.ts); d, e, τ come down (3n floats);
//   3. T's eigenpairs by the float64 divide and conquer of the CPU solver (divide-conquer.ts): the
//      secular equations on the host, and the merges of at least deviceMergeMin plus the top merge with
//      their vectors on the device (wgsl-merges.ts): M is built there from O(m) numbers (the poles, ẑ, the
//      roots' origins and offsets, the deflation; wgsl-merge-matrix.ts), [Q1·M_top; Q2·M_bottom] is two
//      device GEMMs into a new buffer, the children's buffers are freed, and nothing m×m moves — a parent
//      reads only a child's first or last row, kept on the host (row(Q·M) = row(Q)·M, read there). The top
//      merge's buffer is Z, T's eigenvectors in descending order;
//   4. back-transformation Q·Z in compact-WY blocks of device GEMMs (wgsl-back-transform.ts);
//   5. the eigenvectors come down once.
// Accuracy is float32's; measured numbers in docs/DECISIONS.md and bench/results/gpu-eigh-wgsl-*.json.
import { addSince, timed, timedWait, type Timings } from '../base/laps';
import { descendingPairs, gatheredVectors32 } from './descending';
import { tridiagonalEigen } from './divide-conquer';
import { EighError, eigh, type EighResult } from './eigh';
import type { FloatArray } from './matmul';
import { scaledSymmetric } from './scale';
import { SECULAR_THREADS_MIN_K, startSecularPool } from './secular-pool';
import { backTransformWgsl } from './wgsl-back-transform';
import { WgslLinalg } from './wgsl-context';
import { wgslMerges } from './wgsl-merges';
import { tridiagonalizeWgsl } from './wgsl-tridiagonalize';
import type { GpuBuffer, GpuDevice } from './wgsl-types';

export interface WgslEighOptions {
  signal?: AbortSignal;
  /** Seconds per phase (upload, tridiagonalize, tridiagonalSolve, backTransform, download, total) and steps. */
  timings?: Timings;
  /** D&C merges of at least this size keep their vectors on the device, as the top merge does (default 1024). */
  deviceMergeMin?: number;
  /**
   * Build each device merge's M on the host and upload it (m² floats), instead of building it on the
   * device from O(m) numbers (the default; wgsl-merge-matrix.ts). For comparison and benches.
   */
  hostMergeMatrix?: boolean;
  /** Columns per panel of the blocked tridiagonalization (default 32); 1: the unblocked path (wgsl-tridiagonalize.ts). */
  panel?: number;
  /**
   * Return the eigenvectors as they come down, float32, instead of widening them to a fresh n² float64 array
   * (2 s at n = 8192 on a 2-core host, mostly page faults). A matrix the solver hands to the CPU (n ≤ 2, the
   * zero matrix) still gives float64 vectors.
   */
  float32Vectors?: boolean;
}

/** An EighResult whose vectors may be float32 (eighWgsl with float32Vectors). */
export interface EighResultMixed {
  values: Float64Array;
  vectors: FloatArray;
}

const contexts = new WeakMap<GpuDevice, WgslLinalg>();

function contextFor(device: GpuDevice): WgslLinalg {
  let g = contexts.get(device);
  if (!g) contexts.set(device, (g = new WgslLinalg(device)));
  return g;
}

/** Eigenvalues (descending) and eigenvectors (columns) of the symmetric n×n row-major `a`, on `device`. */
export async function eighWgsl(a: Float64Array, n: number, device: GpuDevice, opts?: WgslEighOptions & { float32Vectors?: false }): Promise<EighResult>;
export async function eighWgsl(a: Float64Array, n: number, device: GpuDevice, opts: WgslEighOptions): Promise<EighResultMixed>;
export async function eighWgsl(a: Float64Array, n: number, device: GpuDevice, opts: WgslEighOptions = {}): Promise<EighResultMixed> {
  if (!Number.isInteger(n) || n < 0) throw new EighError(`matrix size must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) throw new EighError(`expected ${n}×${n} = ${n * n} elements, got ${a.length}`);
  if (n <= 2) return eigh(a, n, opts);
  const t0 = performance.now();
  const { s, exponent } = scaledSymmetric(a, n, (len) => new Float32Array(len));
  // The host's symmetrise-and-scale pass (single-threaded; the device engine's PCA does it in its own threaded pass instead, damped-upload.ts)
  addSince(opts.timings, 'scale', t0);
  if (exponent === null) return eigh(a, n, opts);
  return eighWgslScaled(s, exponent, n, device, opts, t0);
}

/**
 * eighWgsl of a matrix already symmetrised and scaled into its float32 upload: `s` = A·2^−exponent (n > 2, not
 * zero; the PCA builds it in one pass from its moment: slicegpt/damped-upload.ts). `t0`: when timings.total starts.
 */
export async function eighWgslScaled(s: Float32Array, exponent: number, n: number, device: GpuDevice, opts: WgslEighOptions = {}, t0 = performance.now()): Promise<EighResultMixed> {
  if (!(n > 2) || s.length !== n * n) throw new EighError(`eighWgslScaled: expected n > 2 and ${n}×${n} = ${n * n} elements, got ${s.length}`);
  const { timings } = opts;
  const g = contextFor(device);
  // The secular equation's workers start while the device tridiagonalizes (a cold pool costs a few hundred ms).
  if (n > SECULAR_THREADS_MIN_K) startSecularPool();
  return g.checked('eigh on the GPU', async () => {
    const A = await timed(timings, 'upload', async () => g.upload(s, 'A'));
    const tri = await timed(timings, 'tridiagonalize', async () => {
      try {
        return await tridiagonalizeWgsl(g, A, n, opts);
      } finally {
        A.destroy();
      }
    });
    let Z: GpuBuffer | undefined;
    try {
      // The top merge and every merge of at least deviceMergeMin keep their vectors on the device; the top
      // merge's buffer is T's eigenvectors, Z.
      const device = wgslMerges(g, opts.deviceMergeMin ?? 1024, opts.hostMergeMatrix);
      const eig = await timed(timings, 'tridiagonalSolve', () => tridiagonalEigen(tri.d, tri.e, n, { signal: opts.signal, timings, descending: true, device }));
      Z = eig.buffer;
      const { values, from, inPlace } = descendingPairs(eig, n, 2 ** exponent);
      // Column j of Z must be the vector of the j-th largest value: the top merge stores them so; a solve
      // without one (a single leaf) is reordered here and uploaded.
      if (!Z || !inPlace) {
        if (Z) throw new Error('wgsl-eigh: the top merge did not store the vectors in descending order');
        const z = gatheredVectors32(eig, n, from);
        Z = g.upload(z, 'Z');
      }
      const z = Z;
      await timed(timings, 'backTransform', () => backTransformWgsl(g, tri, z, opts));
      const v32 = await timedWait(timings, 'download', () => g.download(z, n * n));
      const vectors = opts.float32Vectors ? v32 : new Float64Array(v32);
      if (timings) timings.total = (performance.now() - t0) / 1000;
      return { values, vectors };
    } finally {
      tri.V.destroy();
      Z?.destroy();
    }
  });
}
