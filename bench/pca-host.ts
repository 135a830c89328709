// `npm run bench -- pca-host [--sizes 4096,8192 --reps 3]` — the host work of one device-engine PCA around the WGSL
// solver's device phases (pca.ts principalDirections with solver 'wgsl'), on the real code; no GPU. Per size, best of
// --reps, seconds:
//   session9    as timed on the H100 in session 9: before.moment (matrix(), the symmetrised float64 copy),
//               before.check (the finite check and damping), session9.scale (scaledSymmetric's own symmetrisation
//               into float32), session9.widen (the download widened to float64). Wave9-5's `before` (no widening, a
//               sequential scaling) went with scale.ts's `symmetric` option; its numbers: bench/results/pca-host-2core.json
//   now         SecondMoment.dampedUpload: symmetrised, damped and scaled into the float32 upload in one pass
//   now.alloc   of which: a fresh n² float32 array, written once (the upload's pages)
//   now.reused  the same pass into the job's upload array from the PCA before (UploadScratch; the device engine's path)
//   pair.threads<K>  the device engine's actual input: an adopted compensated pair (s, c; both n² float32 arrays fully
//               written, as ORT's download leaves them) read as 0 + (s − c), on K threads (--threads, default 1 and
//               os.availableParallelism(); upload-pool.ts), into the job's upload array; K > 1 includes pair.copy
//   pair.copy   of which: the pair's two copies into the job's shared arrays (for the workers)
// The moment is a stand-in sum (diagonal-dominant, asymmetric at rounding level, as a device moment is); `now` is
// checked bit-identical to the step-by-step path (matrix(), check, scaledSymmetric) at every size, and every pair.threads<K> to the pair added into a zeroed float64
// sum (the path before adoption). JSON on stdout.
import { availableParallelism } from 'node:os';
import { best } from './lib/best';
import { flags } from './lib/flags';
import { scaledSymmetric } from '../core/linalg/scale';
import { firstNonFinite } from '../core/model/non-finite';
import type { UploadScratch } from '../core/slicegpt/damped-upload';
import { SecondMoment } from '../core/slicegpt/pca';
import { startUploadPool } from '../core/slicegpt/upload-pool';

/** The finite check and damping of principalDirections' float64 path, in place. */
function check(h: Float64Array, n: number): void {
  if (firstNonFinite(h) >= 0) throw new Error('non-finite');
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i];
  const damp = (0.01 * trace) / n;
  for (let i = 0; i < n; i++) h[i * n + i] += damp;
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const sizes = (f.get('sizes') ?? '4096,8192').split(',').map(Number);
  const reps = Number(f.get('reps') ?? 3);
  const threads = (f.get('threads') ?? `1,${availableParallelism()}`).split(',').map(Number);
  startUploadPool(Math.max(...threads));
  const f32 = (len: number) => new Float32Array(len);
  const out: Record<string, Record<string, number>> = {};
  for (const n of sizes) {
    const m = new SecondMoment(n);
    const g = new Float32Array(n * n);
    let s = 1;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        const v = s / 2 ** 31 - 0.5 + (i === j ? n : 0);
        g[i * n + j] = v;
        g[j * n + i] = v * (1 + 2 ** -20); // a float32 partial sum's rounding-level asymmetry
      }
    m.addGram(g, 1);
    g.fill(0);
    // Bit-identity of the one pass with the steps it replaces.
    const h0 = m.matrix();
    check(h0, n);
    const want = scaledSymmetric(h0, n, f32);
    const got = m.dampedUpload()!;
    if (got.exponent !== want.exponent) throw new Error(`n = ${n}: exponent ${got.exponent} ≠ ${want.exponent}`);
    for (let i = 0; i < n * n; i++) if (got.s[i] !== want.s[i]) throw new Error(`n = ${n}: the one-pass upload differs at ${i}`);
    const t: Record<string, number> = {};
    let h: Float64Array = new Float64Array(0);
    t['before.moment'] = best(reps, () => (h = m.matrix()));
    t['before.check'] = best(reps, () => check(h, n));
    t['session9.scale'] = best(reps, () => scaledSymmetric(h, n, f32));
    h = new Float64Array(0);
    t['session9.widen'] = best(reps, () => new Float64Array(got.s));
    t['now'] = best(reps, () => m.dampedUpload());
    const scratch = {};
    m.dampedUpload(scratch);
    t['now.reused'] = best(reps, () => m.dampedUpload(scratch));
    t['now.alloc'] = best(reps, () => new Float32Array(n * n).fill(1));
    t['session9'] = t['before.moment'] + t['before.check'] + t['session9.scale'] + t['session9.widen'];
    const again = m.dampedUpload(scratch)!;
    for (let i = 0; i < n * n; i++) if (again.s[i] !== want.s[i]) throw new Error(`n = ${n}: the reused upload differs at ${i}`);
    pairRows(n, threads, reps, t);
    out[n] = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, +v.toFixed(4)]));
  }
  console.log(JSON.stringify({ machine: `${availableParallelism()} CPUs, no GPU used`, reps, threads, seconds: out }, null, 2));
}

/** The pair rows: an adopted device pair's upload on each thread count, checked against the summed float64 path. */
function pairRows(n: number, threads: number[], reps: number, t: Record<string, number>): void {
  const s = new Float32Array(n * n);
  const c = new Float32Array(n * n);
  let r = 7;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      r = (r * 1103515245 + 12345) % 2 ** 31;
      const v = r / 2 ** 31 - 0.5 + (i === j ? n : 0);
      s[i * n + j] = v;
      s[j * n + i] = v * (1 + 2 ** -20);
      c[i * n + j] = v * 2 ** -26;
      c[j * n + i] = v * 2 ** -27;
    }
  const summed = new SecondMoment(n);
  summed.addGram(new Float64Array(n * n), 0);
  summed.addCompensated(s, c, 1);
  const want = summed.dampedUpload()!;
  const m = new SecondMoment(n);
  m.addCompensated(s, c, 1);
  for (const k of threads) {
    const scratch: UploadScratch = {};
    const got = m.dampedUpload(scratch, { threads: k })!;
    if (got.exponent !== want.exponent) throw new Error(`n = ${n}, ${k} threads: exponent ${got.exponent} ≠ ${want.exponent}`);
    for (let i = 0; i < n * n; i++) if (!Object.is(got.s[i], want.s[i])) throw new Error(`n = ${n}, ${k} threads: the pair's upload differs at ${i}`);
    t[`pair.threads${k}`] = best(reps, () => m.dampedUpload(scratch, { threads: k }));
    const kept = scratch.pair;
    if (kept) t['pair.copy'] = best(reps, () => (kept.s.set(s), kept.c.set(c)));
  }
}
