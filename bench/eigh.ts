// `npm run bench -- eigh [--sizes 512,1024,2048,4096] [--repeat N] [--no-lapack] [--block-size NB]`: our float64
// eigh (ORT Gemm + TypeScript) against LAPACK's dsyevd (scipy.linalg.eigh(driver='evd')) on the same matrix,
// in the same run. Prints one JSON document: seconds, ratio, residuals, and where our time goes (phases,
// with `phase.step` keys for the ORT calls and main JS steps inside each). With --repeat N each side runs
// N times, alternating, and the fastest run counts (shared machines are noisy). --block-size sets the
// Householder panel width (eigh's default otherwise), to tune it on a given machine; --spin lets the
// per-column ORT session spin between runs (SLICE_LINALG_SPIN=1, see core/linalg/matmul.ts).
// --secular-threads 1,2 runs our side once per listed thread count in each repetition, alternating
// (SLICE_STUDIO_SECULAR_THREADS, see core/linalg/secular-pool.ts), reports each count's fastest run in
// `bySecularThreads` and checks that all counts give the same bits; `ours` is the first count's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eigh } from '../core/linalg/eigh';
import { gemm } from '../core/linalg/matmul';
import { frob, symmetric } from './lib/matrices';

const LAPACK = `
import json, sys, time
import numpy as np, scipy, scipy.linalg as sl
n = int(sys.argv[2])
reps = int(sys.argv[3])
a = np.fromfile(sys.argv[1], dtype='<f8').reshape(n, n)
sl.eigh(a[:64, :64], driver='evd')
times = []
for _ in range(reps):
    t = time.perf_counter(); w, v = sl.eigh(a, driver='evd'); times.append(time.perf_counter() - t)
dt = min(times)
res = float(np.linalg.norm(a @ v - v * w) / np.linalg.norm(a))
orth = float(np.linalg.norm(v.T @ v - np.eye(n)))
w[::-1].astype('<f8').tofile(sys.argv[1] + '.values')
try:
    from threadpoolctl import threadpool_info
    blas = [{k: p.get(k) for k in ('internal_api', 'version', 'num_threads', 'architecture')} for p in threadpool_info()]
except Exception:
    blas = None
print(json.dumps({'seconds': dt, 'runs': times, 'residual': res, 'orthogonality': orth, 'numpy': np.__version__, 'scipy': scipy.__version__, 'blas': blas}))
`;

interface LapackResult {
  seconds: number;
  residual: number;
  orthogonality: number;
  values?: Float64Array;
  [k: string]: unknown;
}

function lapack(dir: string, a: Float64Array, n: number, reps: number): LapackResult | { error: string } {
  const file = join(dir, `a${n}.f64`);
  writeFileSync(file, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  // OPENBLAS_CORETYPE/L2_SIZE are set on some machines for old OpenBLAS builds; they slow a current
  // one badly, so the reference runs with OpenBLAS's own kernel choice (see the env notes).
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const r = spawnSync('python3', ['-c', LAPACK, file, String(n), String(reps)], { env, encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return { error: (r.stderr || r.error?.message || 'python3 failed').trim().split('\n').pop() ?? '' };
  const out = JSON.parse(r.stdout) as LapackResult;
  const buf = readFileSync(`${file}.values`);
  out.values = new Float64Array(buf.buffer, buf.byteOffset, n);
  return out;
}

export async function main(args: string[]): Promise<void> {
  const at = args.indexOf('--sizes');
  const sizes = at >= 0 ? args[at + 1].split(',').map(Number) : [512, 1024, 2048, 4096];
  const withLapack = !args.includes('--no-lapack');
  const rat = args.indexOf('--repeat');
  const reps = rat >= 0 ? Math.max(1, Number(args[rat + 1]) || 1) : 1;
  const bat = args.indexOf('--block-size');
  const blockSize = bat >= 0 ? Number(args[bat + 1]) || undefined : undefined;
  // Read when the first session is created, i.e. during the first eigh below.
  if (args.includes('--spin')) process.env.SLICE_LINALG_SPIN = '1';
  const spin = process.env.SLICE_LINALG_SPIN === '1';
  const tat = args.indexOf('--secular-threads');
  const threadCounts: (string | undefined)[] = tat >= 0 ? args[tat + 1].split(',') : [undefined];
  const envThreads = process.env.SLICE_STUDIO_SECULAR_THREADS;
  const dir = mkdtempSync(join(tmpdir(), 'eigh-bench-'));
  const results: unknown[] = [];
  try {
    for (const n of sizes) {
      const a = symmetric(n, n);
      let ref: ReturnType<typeof lapack> | null = null;
      let best: { seconds: number; timings: Record<string, number>; values: Float64Array; vectors: Float64Array } | null = null;
      const runs: number[] = [];
      const lapackRuns: number[] = [];
      const byThreads: { threads: string | null; runs: number[]; best: { seconds: number; timings: Record<string, number> } | null; last?: { values: Float64Array; vectors: Float64Array } }[] = [];
      let sameBits = true;
      for (let rep = 0; rep < reps; rep++) {
        const r = withLapack ? lapack(dir, a, n, 1) : null;
        if (r && 'seconds' in r) lapackRuns.push(r.seconds);
        if (r && (!ref || !('seconds' in ref) || ('seconds' in r && r.seconds < ref.seconds))) ref = r;
        for (const [ti, threads] of threadCounts.entries()) {
          if (threads === undefined) {
            if (envThreads === undefined) delete process.env.SLICE_STUDIO_SECULAR_THREADS;
            else process.env.SLICE_STUDIO_SECULAR_THREADS = envThreads;
          } else process.env.SLICE_STUDIO_SECULAR_THREADS = threads;
          const timings: Record<string, number> = {};
          const t = performance.now();
          const { values, vectors } = await eigh(a, n, { timings, blockSize });
          const seconds = (performance.now() - t) / 1000;
          const mode = (byThreads[ti] ??= { threads: threads ?? null, runs: [], best: null });
          mode.runs.push(seconds);
          if (!mode.best || seconds < mode.best.seconds) mode.best = { seconds, timings };
          if (ti > 0) sameBits &&= values.every((v, i) => Object.is(v, byThreads[0].last!.values[i])) && vectors.every((v, i) => Object.is(v, byThreads[0].last!.vectors[i]));
          if (ti === 0) {
            mode.last = { values, vectors };
            runs.push(seconds);
            if (!best || seconds < best.seconds) best = { seconds, timings, values, vectors };
          }
        }
      }
      const { seconds, timings, values, vectors } = best!;
      const av = await gemm(a, vectors, n, n, n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) av[i * n + j] -= vectors[i * n + j] * values[j];
      const vtv = await gemm(vectors, vectors, n, n, n, { transA: true });
      for (let i = 0; i < n; i++) vtv[i * n + i] -= 1;
      const ours = { seconds, runs, residual: frob(av) / frob(a), orthogonality: frob(vtv), phases: timings };
      const row: Record<string, unknown> = { n, ours };
      if (tat >= 0) {
        row.bySecularThreads = byThreads.map((m) => ({ threads: m.threads, seconds: m.best!.seconds, runs: m.runs, secular: m.best!.timings['tridiagonalSolve.secular'] ?? 0, phases: m.best!.timings }));
        row.secularThreadsSameBits = sameBits;
      }
      if (ref && 'seconds' in ref) {
        let diff = 0;
        for (let i = 0; i < n; i++) diff = Math.max(diff, Math.abs(values[i] - ref.values![i]));
        const { values: _v, ...lap } = ref;
        row.lapack = { ...lap, runs: lapackRuns };
        row.ratio = seconds / ref.seconds;
        row.maxEigenvalueDiff = diff / Math.abs(ref.values![0]);
      } else if (ref) row.lapack = ref;
      results.push(row);
      console.error(`eigh n=${n}: ${seconds.toFixed(2)} s${row.ratio ? ` (${(row.ratio as number).toFixed(2)}× LAPACK)` : ''}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bench: 'eigh', cores: (await import('node:os')).cpus().length, ...(blockSize ? { blockSize } : {}), ...(spin ? { spin } : {}), results }, null, 2));
}
