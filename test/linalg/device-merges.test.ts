// The divide and conquer with its merges' vectors kept in a device store (core/linalg/device-merges.ts),
// here a host store of float32 matrices that behaves as a GPU's would (float32 storage, opaque handles,
// use after free is an error): the D&C's own bookkeeping — children uploaded once, M built as float32,
// the first/last rows kept on the host, deflation rotations and the descending placement at device
// levels, every buffer freed — checked against T itself. The WGSL store runs in wgsl-eigh.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { largestHostMerge, type DeviceMerges } from '../../core/linalg/device-merges';
import { tridiagonalEigen } from '../../core/linalg/divide-conquer';
import { rowTimes } from '../../core/linalg/merge-matrix';
import { specMatrix } from '../../core/linalg/merge-spec';
import { orthogonality, residual, rng } from './check';

type Handle = { id: number };

/**
 * Float32 matrices by handle; counts what is alive, uploaded and multiplied. With `fromSpec` it builds M
 * from the merge's O(m) spec (specMatrix, the device kernels' formulas) and reads the rows from it, as the
 * WGSL store does.
 */
function hostStore(min: number, onProduct?: (count: number) => void, fromSpec = false) {
  const live = new Map<number, Float32Array>();
  let next = 0;
  const stats = { uploads: 0, products: 0, peakLive: 0, specs: 0, rotations: 0, deflated: 0 };
  const get = (h: Handle) => {
    const x = live.get(h.id);
    if (!x) throw new Error(`buffer ${h.id} used after free`);
    return x;
  };
  const put = (x: Float32Array): Handle => {
    live.set(++next, x);
    stats.peakLive = Math.max(stats.peakLive, live.size);
    return { id: next };
  };
  const device: DeviceMerges<Handle> = {
    min,
    upload(x) {
      stats.uploads++;
      return put(Float32Array.from(x));
    },
    async product(h1, h2, hm, n1, n2) {
      stats.products++;
      onProduct?.(stats.products);
      const [q1, q2, M] = [get(h1), get(h2), get(hm)];
      const m = n1 + n2;
      const out = new Float32Array(m * m);
      for (const [q, n, r0] of [
        [q1, n1, 0],
        [q2, n2, n1],
      ] as const)
        for (let i = 0; i < n; i++)
          for (let j = 0; j < m; j++) {
            let s = 0;
            for (let l = 0; l < n; l++) s += q[i * n + l] * M[(r0 + l) * m + j];
            out[(r0 + i) * m + j] = s;
          }
      return put(out);
    },
    free(h) {
      if (!live.delete(h.id)) throw new Error(`buffer ${h.id} freed twice`);
    },
  };
  if (fromSpec) {
    device.matrix = async (spec) => {
      stats.specs++;
      stats.rotations += spec.rotRows.length / 2;
      stats.deflated += spec.m - spec.k;
      return put(specMatrix(spec));
    };
    device.rows = async (h, x1, x2, n1, n2) => {
      const M = get(h);
      return { first: rowTimes(x1, M, 0, n1, n1 + n2), last: rowTimes(x2, M, n1, n2, n1 + n2) };
    };
  }
  return { device, live, stats, get };
}

/**
 * Random, or glued Wilkinson matrices (W21+ blocks coupled by 1e-7: eigenvalues in tight groups across
 * blocks, so merges deflate and rotate at every level).
 */
function tridiagonal(m: number, seed: number, glued: boolean) {
  const r = rng(seed);
  const d = Float64Array.from({ length: m }, (_, i) => (glued ? Math.abs(10 - (i % 21)) : r() - 0.5));
  const e = Float64Array.from({ length: m - 1 }, (_, i) => (glued ? (i % 21 === 20 ? 1e-7 : 1) : r() - 0.5));
  const a = new Float64Array(m * m);
  for (let i = 0; i < m; i++) a[i * m + i] = d[i];
  for (let i = 0; i < m - 1; i++) a[i * m + i + 1] = a[(i + 1) * m + i] = e[i];
  return { d, e, a };
}

test('merges at or above the threshold keep their vectors in the device store; the result diagonalizes T to float32 accuracy', async () => {
  for (const [m, glued, descending] of [
    [300, false, true],
    [420, true, true],
    [257, true, false],
  ] as const) {
    const label = `m=${m}${glued ? ' glued Wilkinson' : ''}${descending ? ' descending' : ''}`;
    const { d, e, a } = tridiagonal(m, m, glued);
    const { device, live, stats, get } = hostStore(64);
    const timings: Record<string, number> = {};
    const eig = await tridiagonalEigen(d, e, m, { leafSize: 16, descending, device, timings, secularThreads: 1 });
    assert.ok(eig.buffer, `${label}: the top merge's vectors are on the device`);
    assert.equal(eig.vectors.length, 0, `${label}: nothing m×m on the host`);
    assert.equal(live.size, 1, `${label}: only the result is alive`);
    // Merges of 64 and more: the top, 2 halves, 4 quarters (m/4 ≥ 64); below them host merges go up once.
    assert.equal(stats.products, 7, `${label}: products on the device`);
    assert.equal(stats.uploads, 7 + 8, `${label}: one M per product and each host child once`);
    for (const key of ['secular', 'buildM', 'upload', 'gemm', 'rows']) assert.ok(timings[`tridiagonalSolve.${key}`] >= 0, `${label}: timing ${key}`);
    if (descending)
      assert.deepEqual(
        [...eig.columns],
        Array.from({ length: m }, (_, j) => m - 1 - j),
        `${label}: descending in place`,
      );
    const z = get(eig.buffer!);
    const V = new Float64Array(m * m);
    for (let r = 0; r < m; r++) for (let j = 0; j < m; j++) V[r * m + j] = z[r * m + eig.columns[j]];
    const ref = await tridiagonalEigen(d, e, m, { leafSize: 16, secularThreads: 1 });
    let diff = 0;
    let scale = 0;
    for (let j = 0; j < m; j++) {
      diff = Math.max(diff, Math.abs(eig.values[j] - ref.values[j]));
      scale = Math.max(scale, Math.abs(ref.values[j]));
    }
    const res = await residual(a, m, eig.values, V);
    const orth = await orthogonality(V, m);
    assert.ok(res <= 1e-5, `${label}: ‖TV − VΛ‖/‖T‖ = ${res}`);
    assert.ok(orth <= 1e-4, `${label}: ‖VᵀV − I‖ = ${orth}`);
    assert.ok(diff <= 1e-6 * scale, `${label}: eigenvalues differ from the host solve by ${diff / scale} of the largest`);
  }
});

test('merges whose M the store builds from its O(m) spec (rotations and deflations included) match the host-built M to float32 accuracy', async (t) => {
  for (const [m, glued] of [
    [300, false],
    [420, true],
  ] as const) {
    const label = `m=${m}${glued ? ' glued Wilkinson' : ''}`;
    const { d, e, a } = tridiagonal(m, m, glued);
    const host = hostStore(64);
    const spec = hostStore(64, undefined, true);
    const solve = (store: ReturnType<typeof hostStore>) => tridiagonalEigen(d, e, m, { leafSize: 16, descending: true, device: store.device, secularThreads: 1 });
    const [h, s] = [await solve(host), await solve(spec)];
    // Every device merge built its M from the spec: one per product, none uploaded (only host children go up).
    assert.equal(spec.stats.specs, 7, `${label}: M from the spec`);
    assert.equal(spec.stats.uploads, 8, `${label}: only host children uploaded`);
    if (glued) assert.ok(spec.stats.rotations > 0 && spec.stats.deflated > 0, `${label}: rotations ${spec.stats.rotations}, deflated ${spec.stats.deflated}`);
    assert.equal(spec.live.size, 1, `${label}: only the result is alive`);
    const vectors = (store: ReturnType<typeof hostStore>, eig: typeof h) => {
      const z = store.get(eig.buffer!);
      const V = new Float64Array(m * m);
      for (let r = 0; r < m; r++) for (let j = 0; j < m; j++) V[r * m + j] = z[r * m + eig.columns[j]];
      return V;
    };
    const [Vh, Vs] = [vectors(host, h), vectors(spec, s)];
    const stats = [await residual(a, m, h.values, Vh), await orthogonality(Vh, m), await residual(a, m, s.values, Vs), await orthogonality(Vs, m)];
    let diff = 0;
    for (let j = 0; j < m; j++) diff = Math.max(diff, Math.abs(h.values[j] - s.values[j]));
    t.diagnostic(`${label}: host-built M residual ${stats[0].toExponential(2)}, orthogonality ${stats[1].toExponential(2)}; spec-built ${stats[2].toExponential(2)}, ${stats[3].toExponential(2)}; eigenvalues apart ${diff.toExponential(2)}`);
    assert.ok(stats[2] <= 1e-5 && stats[3] <= 1e-4, `${label}: spec-built M residual ${stats[2]}, orthogonality ${stats[3]} (host-built: ${stats[0]}, ${stats[1]})`);
    assert.ok(diff <= 1e-6, `${label}: eigenvalues differ from the host-built path's by ${diff}`);
  }
});

test('an aborted solve frees every device buffer', async () => {
  const { d, e } = tridiagonal(300, 5, false);
  const controller = new AbortController();
  const { device, live, stats } = hostStore(64, (count) => count === 3 && controller.abort());
  await assert.rejects(tridiagonalEigen(d, e, 300, { leafSize: 16, device, signal: controller.signal, secularThreads: 1 }), { name: 'AbortError' });
  assert.ok(stats.products >= 3, 'some merges ran on the device first');
  assert.equal(live.size, 0, 'no buffer left alive');
});

test('the float64 M scratch is sized for the largest host merge only', () => {
  assert.equal(largestHostMerge(8192, 32, undefined), 8192);
  assert.equal(largestHostMerge(8192, 32, { min: 1024 }), 512);
  assert.equal(largestHostMerge(300, 16, { min: 64 }), 38);
  assert.equal(largestHostMerge(20, 32, { min: 1 }), 0);
});
