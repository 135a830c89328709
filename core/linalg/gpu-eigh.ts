// The symmetric eigendecomposition on a GPU execution provider: the O(n³) work in float32 on the device,
// the O(n²) work in float64 on the host.
//   1. A (scaled, symmetrized, float32) goes up once and stays there;
//   2. tridiagonalization on the device (gpu-tridiagonalize.ts), T = QᵀAQ with d, e in float64 on the host;
//   3. T's eigenpairs by the float64 divide and conquer of the CPU solver (divide-conquer.ts), except
//      its top merge's product [Q1·M_top; Q2·M_bottom], which runs on the device and stays there;
//   4. back-transformation Q·Z on the device, one compact-WY block per panel (I − V·T·Vᵀ, GEMMs);
//   5. the eigenvectors come down once.
// Accuracy is float32's. Measured on an H100 (bench/results/gpu-eigh-h100.json, random symmetric):
// residual ‖AV − VΛ‖/‖A‖ 4.2e-6 / 5.8e-6 and orthogonality ‖VᵀV − I‖_F 2.0e-4 / 3.8e-4 at n = 4096 / 8192
// (torch.linalg.eigh in float32: 2.5e-6 / 3.4e-6 and 1.9e-4 / 3.6e-4), eigenvalues within 1.3e-7 of
// ‖A‖ of float64. Sliced perplexity on the four shared models moves by at most 2.5e-6 relative
// (bench/results/gpu-eigh-perplexity-cpu.json). Speed: NOT a win with ORT — each per-column run with
// host inputs and a host result costs ~6 ms on WebGPU (a bare synced run 1.4–1.8 ms), so n = 8192 took
// 68.7 s against 32.8 s for the float64 CPU solver on 16 cores; see docs/DECISIONS.md for what would
// make it fast. The same graphs run on the CPU EP (float32 there too), which is how the tests check
// this path.
import { timed, type Timings } from '../base/laps';
import { compactWY } from './back-transform';
import { descendingPairs, gatheredVectors32 } from './descending';
import { tridiagonalEigen } from './divide-conquer';
import { EighError, eigh, type EighResult } from './eigh';
import { GpuLinalg, free, host, int64, type Tensor } from './gpu-graphs';
import { tridiagonalizeGpu, type GpuTridiagonal } from './gpu-tridiagonalize';
import { scaledSymmetric } from './scale';
import type { ExecutionProvider } from '../runtime/contract';

export interface GpuEighOptions {
  /** Householder panel width (default 64). */
  blockSize?: number;
  signal?: AbortSignal;
  /** Seconds per phase (upload, tridiagonalize, tridiagonalSolve, backTransform, total) and steps. */
  timings?: Record<string, number>;
}

const solvers = new Map<ExecutionProvider, GpuLinalg>();

/** Eigenvalues (descending) and eigenvectors of the symmetric n×n row-major `a`, the heavy work on `ep`. */
export async function eighGpu(a: Float64Array, n: number, ep: ExecutionProvider, opts: GpuEighOptions = {}): Promise<EighResult> {
  if (!Number.isInteger(n) || n < 0) throw new EighError(`matrix size must be a non-negative integer, got ${n}`);
  if (a.length !== n * n) throw new EighError(`expected ${n}×${n} = ${n * n} elements, got ${a.length}`);
  // Below a few panels there is nothing for a GPU to do.
  if (n <= 2) return eigh(a, n, opts);
  const timings = opts.timings;
  const clock = () => performance.now() / 1000;
  const t0 = clock();
  const { s, exponent } = scaledSymmetric(a, n, (len) => new Float32Array(len));
  if (exponent === null) return eigh(a, n, opts);
  let g = solvers.get(ep);
  if (!g) solvers.set(ep, (g = new GpuLinalg(ep)));
  const nb = Math.max(2, opts.blockSize ?? 64);
  const s32 = s;
  const A = await timed(timings, 'upload', () => g.upload(s32, n, n));
  const tri = await timed(timings, 'tridiagonalize', () => tridiagonalizeGpu(g, A, s32.subarray(0, n), n, { blockSize: nb, signal: opts.signal, timings }));
  try {
    // The top merge's product runs on the device and leaves T's eigenvectors there (no n×n float64
    // product on the CPU, no upload of its result).
    let Z: Tensor | undefined;
    const topProduct = async (q1: Float64Array, q2: Float64Array, n1: number, n2: number, mt: Float64Array, mb: Float64Array) => {
      const feeds = { Q1: host(Float32Array.from(q1), [n1, n1]), Q2: host(Float32Array.from(q2), [n2, n2]), Mt: host(Float32Array.from(mt), [n1, n]), Mb: host(Float32Array.from(mb), [n2, n]) };
      Z = (await g.run('merge', feeds)).Y;
    };
    const eig = await timed(timings, 'tridiagonalSolve', () => tridiagonalEigen(tri.d, tri.e, n, { signal: opts.signal, timings, descending: true, topProduct }));
    // Column j of Z must be the eigenvector of the j-th largest value: the top merge stores them so; a
    // solve without one (n ≤ the leaf size) is reordered here and uploaded.
    const { values, from, inPlace } = descendingPairs(eig, n, 2 ** exponent);
    if (!Z || !inPlace) {
      if (Z) throw new Error('gpu-eigh: the top merge did not store the vectors in descending order');
      const z = gatheredVectors32(eig, n, from);
      Z = await timed(timings, 'backTransform.upload', () => g.upload(z, n, n));
    }
    const vectors32 = await timed(timings, 'backTransform', () => backTransformGpu(g, tri, Z!, opts.signal, timings));
    const vectors = new Float64Array(vectors32);
    if (timings) timings.total = clock() - t0;
    return { values, vectors };
  } finally {
    for (const p of tri.panels) free(p.vw);
  }
}

/** Q·Z on the device (Z n×n, consumed), the panels' reflectors applied last first; returns Q·Z on the host. */
async function backTransformGpu(g: GpuLinalg, tri: GpuTridiagonal, z: Tensor, signal?: AbortSignal, timings?: Timings): Promise<Float32Array> {
  const { nb } = tri;
  let Z = z;
  try {
    for (let p = tri.panels.length - 1; p >= 0; p--) {
      signal?.throwIfAborted();
      const panel = tri.panels[p];
      if (panel.count === 0) continue;
      const T = Float32Array.from(compactWY(Float64Array.from(panel.vtv), nb, panel.tau));
      const feeds: Record<string, Tensor> = { Z, VW: panel.vw, T: host(T, [nb, nb]) };
      if (panel.start > 0) feeds.g = int64([panel.start]);
      const out = await timed(timings, 'backTransform.calls', () => g.run(panel.start > 0 ? `backTop${nb}` : `back${nb}`, feeds));
      free(Z);
      Z = out.Y;
    }
    return await timed(timings, 'backTransform.download', () => g.download(Z));
  } finally {
    free(Z);
  }
}
