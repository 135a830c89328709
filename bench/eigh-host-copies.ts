// `npm run bench -- eigh-host-copies [--sizes 4096,8192 --ratio 0.25 --reps 2]` — the host memory traffic around
// the WGSL eigensolver (wgsl-eigh.ts) and the device engine's Q conversion (engine.ts qOn), before and now, on the
// real code; no GPU: the download is stood in for by a fresh float32 n² array. Per size, best of --reps, seconds:
//   scale.before   scaledSymmetric into float32 with its own tiled symmetrisation (the moment symmetrised again);
//                  the device engine's PCA now builds its upload in one pass instead (`bench pca-host`, `now`)
//   widen.before   the download widened to a fresh float64 n² array (now: none, float32Vectors)
//   qconvert.*     Q[:, :n] and Q[:, :k] as the float32 upload, from a float64 Q (before) and a float32 one (now)
// JSON on stdout.
import { best } from './lib/best';
import { flags } from './lib/flags';
import { scaledSymmetric } from '../core/linalg/scale';
import { leadingColumns32 } from '../core/slicegpt/products';

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const sizes = (f.get('sizes') ?? '4096,8192').split(',').map(Number);
  const ratio = Number(f.get('ratio') ?? 0.25);
  const reps = Number(f.get('reps') ?? 2);
  const out: Record<string, Record<string, number>> = {};
  for (const n of sizes) {
    const k = Math.round((n * (1 - ratio)) / 8) * 8;
    const a = new Float64Array(n * n);
    let s = 1;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        a[i * n + j] = a[j * n + i] = s / 2 ** 31 + (i === j ? n : 0);
      }
    const make = (len: number) => new Float32Array(len);
    const t: Record<string, number> = {};
    t['scale.before'] = best(reps, () => scaledSymmetric(a, n, make));
    const v32 = new Float32Array(n * n).fill(0.5);
    t['widen.before'] = best(reps, () => new Float64Array(v32));
    const q64 = new Float64Array(v32);
    t['qconvert.full.before'] = best(reps, () => leadingColumns32(q64, n, n));
    t['qconvert.full.now'] = best(reps, () => leadingColumns32(v32, n, n));
    t[`qconvert.k.before`] = best(reps, () => leadingColumns32(q64, n, k));
    t[`qconvert.k.now`] = best(reps, () => leadingColumns32(v32, n, k));
    t['eigh.host.before'] = t['scale.before'] + t['widen.before'];
    out[n] = t;
  }
  console.log(JSON.stringify({ machine: 'host only (no GPU)', ratio, reps, seconds: out }, null, 2));
}
