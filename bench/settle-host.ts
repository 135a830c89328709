// `npm run bench -- settle-host [--sizes 4096,8192 --reps 3]` — the host work between a device moment's download and
// the WGSL solver's upload (engine.ts settle, then pca.ts principalDirections), on the real code; no GPU. Per size,
// best of --reps, seconds:
//   download.fresh   the two float32 n² arrays DeviceTensors.settlePair gets from ORT, as fresh pages written once
//   download.reused  the same copies into arrays kept from the settle before (what reusing them could save)
//   before.add       addCompensated into a fresh moment's zeroed float64 sum (h += s − c: 8n² bytes of fresh pages)
//   before.upload    dampedUpload of that float64 sum into the job's upload array (UploadScratch)
//   now.add          addCompensated into the empty moment: the pair is adopted (pca.ts)
//   now.upload       dampedUpload of the adopted pair, each entry read as 0 + (s − c)
//   before / now     add + upload (the download arrays are the same in both)
// The pair is a stand-in device moment (diagonal-dominant Gram-like s, tiny c); `now`'s upload is checked bit-identical
// to `before`'s at every size. JSON on stdout.
import { best } from './lib/best';
import { flags } from './lib/flags';
import { dampedUpload } from '../core/slicegpt/damped-upload';
import { SecondMoment } from '../core/slicegpt/pca';

/** The add before: a fresh moment's zeroed float64 sum, h += s − c. */
function summed(s: Float32Array, c: Float32Array): Float64Array {
  const h = new Float64Array(s.length);
  for (let i = 0; i < h.length; i++) h[i] += s[i] - c[i];
  return h;
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const sizes = (f.get('sizes') ?? '4096,8192').split(',').map(Number);
  const reps = Number(f.get('reps') ?? 3);
  const out: Record<string, Record<string, number>> = {};
  for (const n of sizes) {
    const s = new Float32Array(n * n);
    const c = new Float32Array(n * n);
    let r = 1;
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) {
        r = (r * 1103515245 + 12345) % 2 ** 31;
        const v = r / 2 ** 31 - 0.5 + (i === j ? n : 0);
        s[i * n + j] = v;
        s[j * n + i] = v * (1 + 2 ** -20); // a float32 partial sum's rounding-level asymmetry
        c[i * n + j] = v * 2 ** -26;
      }
    const t: Record<string, number> = {};
    const kept = [new Float32Array(n * n), new Float32Array(n * n)];
    t['download.fresh'] = best(reps, () => [new Float32Array(n * n).set(s), new Float32Array(n * n).set(c)]);
    t['download.reused'] = best(reps, () => (kept[0].set(s), kept[1].set(c)));
    kept.length = 0;
    let h: Float64Array = new Float64Array(0);
    t['before.add'] = best(reps, () => (h = summed(s, c)));
    const scratch = {};
    dampedUpload(h, n, scratch);
    t['before.upload'] = best(reps, () => dampedUpload(h, n, scratch));
    const want = dampedUpload(h, n)!;
    h = new Float64Array(0);
    let m = new SecondMoment(n);
    t['now.add'] = best(reps, () => (m = new SecondMoment(n)).addCompensated(s, c, 1));
    t['now.upload'] = best(reps, () => m.dampedUpload(scratch));
    const got = m.dampedUpload(scratch)!;
    if (got.exponent !== want.exponent || got.damp !== want.damp) throw new Error(`n = ${n}: exponent or damping differs`);
    for (let i = 0; i < n * n; i++) if (!Object.is(got.s[i], want.s[i])) throw new Error(`n = ${n}: the adopted pair's upload differs at ${i}`);
    t['before'] = t['before.add'] + t['before.upload'];
    t['now'] = t['now.add'] + t['now.upload'];
    out[n] = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, +v.toFixed(4)]));
  }
  console.log(JSON.stringify({ machine: '2-core dev box, no GPU', reps, seconds: out }, null, 2));
}
