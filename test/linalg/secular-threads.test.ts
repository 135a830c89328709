import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { tridiagonalEigen } from '../../core/linalg/divide-conquer';
import { secularVectors, secularZhat, solveSecular } from '../../core/linalg/secular';
import { secularThreads, sharedFloat64, threadedSecular } from '../../core/linalg/secular-pool';
import { ConvergenceError } from '../../core/linalg/tql2';
import { rng } from './check';

/** Same length and the same bits everywhere (Object.is: −0 ≠ 0, NaN = NaN). */
function assertSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  assert.equal(a.length, b.length, `${what}: length`);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: ${a[i]} vs ${b[i]}`);
}

/** A secular problem: k increasing poles (optionally in tight clusters), unit z, ρ > 0. */
function problem(k: number, seed: number, clustered: boolean) {
  const r = rng(seed);
  const d = new Float64Array(k);
  for (let i = 0, x = 0; i < k; i++) d[i] = x += clustered && i % 8 !== 0 ? 1e-9 * (1.5 + r()) : 0.5 + r();
  const z = Float64Array.from({ length: k }, () => r() || 0.25);
  const nz = Math.hypot(...z);
  for (let i = 0; i < k; i++) z[i] /= nz;
  return { d, z, rho: 1 + r() };
}

test('the threaded secular equation gives the serial roots and vectors (or ẑ, origins and offsets) bit for bit', async () => {
  for (const k of [1, 2, 63, 65, 300]) {
    for (const clustered of [false, true]) {
      const { d, z, rho } = problem(k, 11 + k, clustered);
      const roots = solveSecular(d, z, k, rho);
      const lambda = roots.lambda.slice();
      const zhat = secularZhat(d, z, k, roots);
      const U = secularVectors(d, z, k, roots).slice();
      for (const threads of [2, 3]) {
        const t = await threadedSecular(d, z, k, rho, sharedFloat64(k * k + 5), threads);
        assertSameBits(t.lambda, lambda, `k=${k} clustered=${clustered} threads=${threads} λ`);
        assertSameBits(t.U.subarray(0, k * k), U, `k=${k} clustered=${clustered} threads=${threads} U`);
        // Stopped at ẑ (a device builds the vectors): the same ẑ, origins and offsets.
        const s = await threadedSecular(d, z, k, rho, sharedFloat64(k * k), threads, false);
        assert.equal(s.U.length, 0, `k=${k}: no U`);
        for (const [x, y, what] of [
          [s.zhat, zhat, 'ẑ'],
          [s.origin, roots.origin, 'origins'],
          [s.tau, roots.tau, 'offsets'],
        ] as const)
          assertSameBits(x, y, `k=${k} clustered=${clustered} threads=${threads} ${what}`);
      }
    }
  }
});

test('a root that does not converge fails the threaded solve as it fails the serial one, and the pool keeps working', async () => {
  const k = 300;
  const { d, z, rho } = problem(k, 5, false);
  d[7] = NaN; // the roots beside the NaN pole never converge (root 6 is the first)
  let serialError: Error | null = null;
  try {
    solveSecular(d, z, k, rho);
  } catch (e) {
    serialError = e as Error;
  }
  assert.ok(serialError instanceof ConvergenceError, 'the serial solve fails');
  assert.match(serialError.message, /root 6 of 300/);
  await assert.rejects(threadedSecular(d, z, k, rho, sharedFloat64(k * k), 2), (e: Error) => e instanceof ConvergenceError && e.message === serialError.message);
  const ok = problem(k, 6, false);
  const serial = solveSecular(ok.d, ok.z, k, ok.rho);
  const threaded = await threadedSecular(ok.d, ok.z, k, ok.rho, sharedFloat64(k * k), 2);
  assertSameBits(threaded.lambda, serial.lambda, 'after a failure λ');
});

/**
 * Glued Wilkinson blocks W⁺₂₁ (near-equal eigenvalue pairs, coupled by `glue`): deflation at every merge
 * (at m = 420, leaf 16, the top merge keeps k = 72 secular roots; the clustered case below keeps k = 3 of 384).
 */
function gluedWilkinson(m: number, glue: number) {
  const d = new Float64Array(m);
  const e = new Float64Array(m - 1);
  for (let i = 0; i < m; i++) d[i] = Math.abs((i % 21) - 10);
  for (let i = 0; i < m - 1; i++) e[i] = (i + 1) % 21 === 0 ? glue : 1;
  return { d, e };
}

function randomTridiagonal(m: number, seed: number) {
  const r = rng(seed);
  return { d: Float64Array.from({ length: m }, r), e: Float64Array.from({ length: m - 1 }, r) };
}

test('divide and conquer with threaded merges returns the serial decomposition bit for bit, deflation-heavy matrices included', async () => {
  const cases = [
    { name: 'random 200', m: 200, ...randomTridiagonal(200, 3) },
    { name: 'random 517', m: 517, ...randomTridiagonal(517, 4) },
    { name: 'glued Wilkinson 420', m: 420, ...gluedWilkinson(420, 1e-10) },
    // Repeated diagonal blocks with tiny couplings: many z components deflate outright.
    { name: 'clustered 384', m: 384, d: Float64Array.from({ length: 384 }, (_, i) => Math.floor(i / 48)), e: Float64Array.from({ length: 383 }, (_, i) => (i % 3 === 0 ? 1e-14 : 0.5)) },
  ];
  for (const c of cases) {
    for (const descending of [false, true]) {
      const serial = await tridiagonalEigen(c.d, c.e, c.m, { leafSize: 16, descending, secularThreads: 1 });
      const threaded = await tridiagonalEigen(c.d, c.e, c.m, { leafSize: 16, descending, secularThreads: 3, secularMinK: 2 });
      assertSameBits(threaded.values, serial.values, `${c.name} values`);
      assertSameBits(threaded.columns, serial.columns, `${c.name} columns`);
      assertSameBits(threaded.vectors, serial.vectors, `${c.name} vectors`);
    }
  }
});

test('SLICE_STUDIO_SECULAR_THREADS sets the thread count; unset or invalid, the machine parallelism', () => {
  const saved = process.env.SLICE_STUDIO_SECULAR_THREADS;
  try {
    process.env.SLICE_STUDIO_SECULAR_THREADS = '1';
    assert.equal(secularThreads(), 1);
    process.env.SLICE_STUDIO_SECULAR_THREADS = '3';
    assert.equal(secularThreads(), 3);
    process.env.SLICE_STUDIO_SECULAR_THREADS = 'x';
    assert.ok(secularThreads() >= 1);
  } finally {
    if (saved === undefined) delete process.env.SLICE_STUDIO_SECULAR_THREADS;
    else process.env.SLICE_STUDIO_SECULAR_THREADS = saved;
  }
});

test('an idle pool does not keep Node alive', () => {
  const script = `
    import { sharedFloat64, threadedSecular } from ${JSON.stringify(new URL('../../core/linalg/secular-pool.ts', import.meta.url).href)};
    const k = 200;
    const d = Float64Array.from({ length: k }, (_, i) => i);
    const z = new Float64Array(k).fill(1 / Math.sqrt(k));
    const r = await threadedSecular(d, z, k, 1, sharedFloat64(k * k), 2);
    console.log('roots', r.lambda.length);`;
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'roots 200');
  assert.ok(performance.now() - t0 < 60_000);
});

test('a pool started ahead (startSecularPool) and never used, or replaced by one of another size, does not keep Node alive', () => {
  const script = `
    import { sharedFloat64, startSecularPool, threadedSecular } from ${JSON.stringify(new URL('../../core/linalg/secular-pool.ts', import.meta.url).href)};
    startSecularPool(3);
    const k = 300;
    const d = Float64Array.from({ length: k }, (_, i) => i);
    const z = new Float64Array(k).fill(1 / Math.sqrt(k));
    const a = await threadedSecular(d, z, k, 1, sharedFloat64(k * k), 2);
    const b = await threadedSecular(d, z, k, 1, sharedFloat64(k * k), 4);
    let same = true;
    for (let i = 0; i < k * k; i++) same &&= Object.is(a.U[i], b.U[i]);
    startSecularPool(2);
    console.log('same', same);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'same true');
});
