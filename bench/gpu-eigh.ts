// `npm run bench -- gpu-eigh [--solver wgsl|ort] [--ep webgpu] [--sizes 4096,8192] [--block-size 64[,32…]] [--panel 32[,1…]] [--repeat N] [--dump DIR]`:
// a GPU-path eigensolver on the same random symmetric matrices as `bench eigh`: the WGSL one through Dawn
// (core/linalg/wgsl-eigh.ts, default; --panel lists its tridiagonalization's panel widths, each run in
// turn on the same matrix — 1 is the unblocked path, default 32; --device-merge-min M puts D&C merges of
// ≥ M on the device; --host-m builds their M on the host and uploads it, the earlier path; --pca-path: float32 vectors, as the device engine's PCA asks;
// --prescaled: the solver timed from its scaled float32 input, as the slice's PCA hands it over — the symmetrise-and-scale
// done before the timer, as the slice does it in its threaded pair pass, damped-upload.ts) or the ORT-graph one on --ep (core/linalg/gpu-eigh.ts; --block-size).
// Prints one JSON document: seconds (fastest of N), phases, eigenvalue difference to the float64 CPU solver
// (n ≤ 4096 unless --no-ref), and — unless --dump is given — residual ‖AV − VΛ‖/‖A‖ and orthogonality
// ‖VᵀV − I‖ in float64 on the CPU. With --dump DIR the matrix (a<n>.f64), values (w<n>.f64) and vectors
// (v<n>.f32) are written there instead, for bench/torch_eigh.py to check on the GPU in the same lease and
// to time torch.linalg.eigh on the same matrices.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eigh } from '../core/linalg/eigh';
import { eighGpu } from '../core/linalg/gpu-eigh';
import { gemm } from '../core/linalg/matmul';
import { closeWgslDevice, wgslDevice } from '../core/linalg/wgsl-device';
import { eighWgsl, eighWgslScaled } from '../core/linalg/wgsl-eigh';
import { scaledSymmetric } from '../core/linalg/scale';
import { DEFAULT_PANEL } from '../core/linalg/wgsl-tridiagonalize';
import type { ExecutionProvider } from '../core/runtime/contract';
import { frob, symmetric } from './lib/matrices';
import { startLoopMonitor } from '../core/base/loop-delay';

export async function main(args: string[]): Promise<void> {
  const arg = (f: string) => (args.indexOf(f) >= 0 ? args[args.indexOf(f) + 1] : undefined);
  const ep = (arg('--ep') ?? 'webgpu') as ExecutionProvider;
  const sizes = (arg('--sizes') ?? '4096,8192').split(',').map(Number);
  const solver = arg('--solver') ?? 'wgsl';
  // The loop's widths: the WGSL tridiagonalization's panels, or the ORT solver's blocks.
  const widths = (solver === 'wgsl' ? (arg('--panel') ?? String(DEFAULT_PANEL)) : (arg('--block-size') ?? '64')).split(',').map(Number);
  const reps = Math.max(1, Number(arg('--repeat') ?? 1));
  const dump = arg('--dump');
  const withRef = !args.includes('--no-ref');
  // --device-merge-min M: D&C merges of size ≥ M multiply on the device (wgsl; default 1024).
  const deviceMergeMin = arg('--device-merge-min') === undefined ? undefined : Number(arg('--device-merge-min'));
  // --host-m: device merges get M built on the host and uploaded (the path before the device-built M).
  const hostMergeMatrix = args.includes('--host-m');
  // --pca-path: the PCA's call (float32Vectors: no float64 copy of the vectors);
  // the vectors are widened after the timing, for the residual.
  const pcaPath = args.includes('--pca-path');
  const prescaled = args.includes('--prescaled');
  if (solver !== 'wgsl' && solver !== 'ort') throw new Error(`--solver must be wgsl or ort (got "${solver}")`);
  const dev = solver === 'wgsl' ? await wgslDevice() : undefined;
  if (dev && 'unavailable' in dev) throw new Error(dev.unavailable);
  const device = dev && 'device' in dev ? dev.device : undefined;
  let scaled: { s: Float32Array; exponent: number | null } | null = null;
  const decompose = (a: Float64Array, n: number, nb: number, phases: Record<string, number>) => {
    const o = { timings: phases, deviceMergeMin, panel: nb, hostMergeMatrix, float32Vectors: pcaPath };
    if (device && scaled) return eighWgslScaled(scaled.s, scaled.exponent ?? 0, n, device, o);
    return device ? eighWgsl(a, n, device, o) : eighGpu(a, n, ep, { blockSize: nb, timings: phases });
  };
  // The waits' `.blocked` parts (laps.ts timedWait), as a slice records them: ~0 here, nothing else runs.
  const stopLoop = startLoopMonitor();
  const results: unknown[] = [];
  for (const n of sizes) {
    const a = symmetric(n, n);
    // --prescaled: the scaled float32 input made once, outside the timer.
    scaled = prescaled && device ? scaledSymmetric(a, n, (len) => new Float32Array(len)) : null;
    for (const nb of widths) {
      let best: { seconds: number; phases: Record<string, number>; values: Float64Array; vectors: Float64Array } | null = null;
      const runs: number[] = [];
      for (let r = 0; r < reps; r++) {
        const phases: Record<string, number> = {};
        const t = performance.now();
        const r = await decompose(a, n, nb, phases);
        const seconds = (performance.now() - t) / 1000;
        const { values } = r;
        const vectors = r.vectors instanceof Float64Array ? r.vectors : Float64Array.from(r.vectors);
        runs.push(seconds);
        if (!best || seconds < best.seconds) best = { seconds, phases, values, vectors };
        console.error(`gpu-eigh n=${n} ${device ? 'panel' : 'nb'}=${nb}: ${seconds.toFixed(3)} s`);
      }
      const { seconds, phases, values, vectors } = best!;
      const row: Record<string, unknown> = { n, ...(device ? { panel: nb, pcaPath, prescaled: scaled !== null } : { blockSize: nb }), seconds, runs, phases };
      if (dump) {
        writeFileSync(join(dump, `a${n}.f64`), new Uint8Array(a.buffer));
        writeFileSync(join(dump, `w${n}.f64`), new Uint8Array(values.buffer));
        const v32 = Float32Array.from(vectors);
        writeFileSync(join(dump, `v${n}.f32`), new Uint8Array(v32.buffer));
      } else {
        const av = await gemm(a, vectors, n, n, n);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) av[i * n + j] -= vectors[i * n + j] * values[j];
        const vtv = await gemm(vectors, vectors, n, n, n, { transA: true });
        for (let i = 0; i < n; i++) vtv[i * n + i] -= 1;
        row.residual = frob(av) / frob(a);
        row.orthogonality = frob(vtv);
      }
      if (withRef && n <= 4096 && nb === widths[0]) {
        const ref = await eigh(a, n);
        let diff = 0;
        for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(values[i] - ref.values[i]));
        row.maxEigenvalueDiffVsFloat64 = diff / Math.abs(ref.values[0]);
      }
      results.push(row);
    }
  }
  stopLoop();
  // A live Dawn device keeps Node running.
  await closeWgslDevice();
  console.log(JSON.stringify({ bench: 'gpu-eigh', solver, ...(hostMergeMatrix ? { mergeMatrix: 'host' } : {}), ...(dev && 'adapter' in dev ? { adapter: dev.adapter } : { ep }), results }, null, 2));
}
