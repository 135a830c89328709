// `npm run bench -- secular-dc [--sizes 1024,4096,8192] [--decay DIR] [--threads T] [--repeat N] [--min-k K]`:
// where the divide and conquer's secular phase spends its time in the WGSL eigensolver's configuration
// (merges of ≥ 1024 and the top merge on a "device" that builds M itself, so their secular solves stop at
// ẑ), without a GPU and without the O(n³) products: the device here is a host stand-in that keeps no
// vectors, only builds each non-top merge's M from its spec to read the two rows the parent needs (all the
// D&C reads of a device child). Spectra: `goe` is the Dumitriu–Edelman tridiagonal of a Gaussian random
// symmetric matrix (the semicircle spectrum of bench eigh/gpu-eigh's random matrices, any n in O(n));
// `decay` are tridiagonals of a calibration-moment-like matrix from bench/secular_spectra.py (DIR, when
// given). Each size runs N times in one process: run 1 includes the worker pool's start-up (unless --prestart). Prints JSON:
// per run the secular seconds and its split (tridiagonalSolve.secular.*: start = pool creation, post =
// sending the phases, here = this thread's own share of the work, wait = waiting for the workers after
// it, serial = merges below the threads' cutoff), and the device merges' secular sizes k.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { DeviceMerges } from '../core/linalg/device-merges';
import { tridiagonalEigen } from '../core/linalg/divide-conquer';
import { applySpecRotations, type MergeSpec } from '../core/linalg/merge-spec';
import { startSecularPool } from '../core/linalg/secular-pool';

/** The Dumitriu–Edelman tridiagonal of a GOE matrix (seeded): d_i ~ N(0, 2), e_i ~ χ_{n−1−i}. */
function goe(n: number, seed: number): { d: Float64Array; e: Float64Array } {
  let s = seed >>> 0 || 1;
  const u = () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const d = Float64Array.from({ length: n }, () => Math.SQRT2 * normal());
  // χ_r as the norm of r normals (r ≤ n: O(n²) normals, cheap next to the solve).
  const e = Float64Array.from({ length: n - 1 }, (_, i) => {
    let q = 0;
    for (let r = n - 1 - i; r > 0; r--) q += normal() ** 2;
    return Math.sqrt(q);
  });
  return { d, e };
}

/** M (m×m, float64) from its spec by merge-spec.ts's formulas, the pole differences exact (hi/lo 48-bit halves). */
function specM(s: MergeSpec): Float64Array {
  const { m, k } = s;
  const hi = new Float64Array(k);
  const lo = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    const w = BigInt.asIntN(96, (BigInt(s.words[3 * i + 2]) << 64n) | (BigInt(s.words[3 * i + 1]) << 32n) | BigInt(s.words[3 * i]));
    const h = w >> 48n;
    hi[i] = Number(h);
    lo[i] = Number(w - (h << 48n));
  }
  const scale = 2 ** s.unit;
  const col = new Float64Array(k);
  const M = new Float64Array(m * m);
  const colOf = new Int32Array(m);
  for (let c = 0; c < m; c++) colOf[s.pair[c]] = c;
  for (let p = 0; p < k; p++) {
    const o = s.origin[p];
    const t = s.tau[p];
    let sum = 0;
    for (let i = 0; i < k; i++) {
      const diff = ((hi[i] - hi[o]) * 2 ** 48 + (lo[i] - lo[o])) * scale;
      sum += (col[i] = s.zhat[i] * (Math.abs(t) / (diff - t))) ** 2;
    }
    const inv = 1 / Math.sqrt(sum);
    for (let r = 0; r < m; r++) {
      const q = s.role[r];
      if (q < k) M[r * m + colOf[p]] = col[q] * inv;
    }
  }
  for (let r = 0; r < m; r++) if (s.role[r] >= k) M[r * m + colOf[s.role[r]]] = 1;
  return applySpecRotations(s, M);
}

/** The rows-only stand-in for a GPU store (see the header). */
function rowsDevice(min: number, ks: number[]): DeviceMerges<MergeSpec | null> {
  return {
    min,
    upload: () => null,
    product: async () => null,
    free: () => undefined,
    matrix: async (spec) => {
      ks.push(spec.k);
      return spec;
    },
    rows: async (spec, x1, x2, n1, n2) => {
      const m = n1 + n2;
      const M = specM(spec!);
      const first = new Float64Array(m);
      const last = new Float64Array(m);
      for (let r = 0; r < n1; r++) for (let c = 0; c < m; c++) first[c] += x1[r] * M[r * m + c];
      for (let r = 0; r < n2; r++) for (let c = 0; c < m; c++) last[c] += x2[r] * M[(n1 + r) * m + c];
      return { first, last };
    },
  };
}

export async function main(args: string[]): Promise<void> {
  const arg = (f: string) => (args.indexOf(f) >= 0 ? args[args.indexOf(f) + 1] : undefined);
  const sizes = (arg('--sizes') ?? '1024,4096,8192').split(',').map(Number);
  const threads = Number(arg('--threads') ?? availableParallelism());
  const reps = Math.max(1, Number(arg('--repeat') ?? 3));
  const minK = arg('--min-k') === undefined ? undefined : Number(arg('--min-k'));
  const decay = arg('--decay');
  // --prestart MS: start the pool MS ms before the first solve (as eigh and eighWgsl do before tridiagonalizing).
  const prestart = arg('--prestart');
  if (prestart !== undefined) {
    startSecularPool(threads);
    await new Promise((res) => setTimeout(res, Number(prestart)));
  }
  const results: unknown[] = [];
  for (const spectrum of decay ? ['goe', 'decay'] : ['goe']) {
    for (const n of sizes) {
      const file = (x: string) => join(decay ?? '', `${x}${n}.f64`);
      if (spectrum === 'decay' && !existsSync(file('d'))) continue;
      const { d, e } = spectrum === 'goe' ? goe(n, n) : { d: new Float64Array(readFileSync(file('d')).buffer.slice(0)), e: new Float64Array(readFileSync(file('e')).buffer.slice(0)) };
      const runs = [];
      for (let r = 0; r < reps; r++) {
        const timings: Record<string, number> = {};
        const ks: number[] = [];
        const t = performance.now();
        const out = await tridiagonalEigen(d, e, n, { timings, descending: true, device: rowsDevice(1024, ks), secularThreads: threads, secularMinK: minK });
        const seconds = (performance.now() - t) / 1000;
        const secular = Object.fromEntries(Object.entries(timings).filter(([key]) => key.startsWith('tridiagonalSolve.secular')));
        runs.push({ seconds, secular, deviceMergeK: ks, valuesChecksum: out.values.reduce((a, b) => a + b, 0) });
        console.error(`${spectrum} n=${n} run ${r + 1}: secular ${timings['tridiagonalSolve.secular'].toFixed(4)} s of ${seconds.toFixed(3)} s`);
      }
      results.push({ spectrum, n, runs });
    }
  }
  console.log(JSON.stringify({ bench: 'secular-dc', cores: availableParallelism(), threads, minK: minK ?? 'default', prestartMs: prestart === undefined ? null : Number(prestart), results }, null, 2));
}
