// `npm run bench -- secular-threads [--sizes 64,128,256,512,1024,2048] [--threads T] [--repeat N]`: one
// merge's secular equation (roots + vectors) serial vs on T threads (default: the machine's
// parallelism), fastest of N runs each, alternating; says whether the results are the same bits. This
// is how SECULAR_THREADS_MIN_K (core/linalg/secular-pool.ts) is chosen.
import { availableParallelism } from 'node:os';
import { secularVectors, solveSecular } from '../core/linalg/secular';
import { sharedFloat64, threadedSecular } from '../core/linalg/secular-pool';

function problem(k: number) {
  let s = 12345;
  const r = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const d = new Float64Array(k);
  for (let i = 0, x = 0; i < k; i++) d[i] = x += 0.1 + r();
  const z = Float64Array.from({ length: k }, () => r() - 0.5 || 0.25);
  const nz = Math.hypot(...z);
  for (let i = 0; i < k; i++) z[i] /= nz;
  return { d, z, rho: 1.5 };
}

export async function main(args: string[]): Promise<void> {
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const sizes = (flag('--sizes') ?? '64,128,256,384,512,1024,2048').split(',').map(Number);
  const threads = Number(flag('--threads') ?? availableParallelism());
  const reps = Math.max(1, Number(flag('--repeat') ?? 5));
  const results = [];
  for (const k of sizes) {
    const { d, z, rho } = problem(k);
    const delta = sharedFloat64(k * k);
    let serial = Infinity;
    let threaded = Infinity;
    let same = true;
    for (let rep = 0; rep < reps; rep++) {
      let t = performance.now();
      const roots = solveSecular(d, z, k, rho);
      const U = secularVectors(d, z, k, roots);
      serial = Math.min(serial, (performance.now() - t) / 1000);
      t = performance.now();
      const r = await threadedSecular(d, z, k, rho, delta, threads);
      threaded = Math.min(threaded, (performance.now() - t) / 1000);
      for (let i = 0; i < k * k && same; i++) same = Object.is(U[i], r.U[i]);
      for (let i = 0; i < k && same; i++) same = Object.is(roots.lambda[i], r.lambda[i]);
    }
    results.push({ k, serialSeconds: serial, threadedSeconds: threaded, speedup: serial / threaded, sameBits: same });
    console.error(`k=${k}: serial ${(serial * 1e3).toFixed(2)} ms, ${threads} threads ${(threaded * 1e3).toFixed(2)} ms`);
  }
  console.log(JSON.stringify({ bench: 'secular-threads', cores: availableParallelism(), threads, repeat: reps, results }, null, 2));
}
