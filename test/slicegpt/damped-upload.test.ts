// The WGSL solver's input built in one pass from the moment's sum (core/slicegpt/damped-upload.ts) must be the very
// float32 upload, exponent and damping of the float64 steps it replaces: matrix() (symmetrised copy), the finite
// check, the damping, and scaledSymmetric into float32; and fail the same way on a non-finite moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaledSymmetric } from '../../core/linalg/scale';
import { wgslDevice } from '../../core/linalg/wgsl-device';
import { firstNonFinite } from '../../core/model/non-finite';
import { principalDirections, SecondMoment } from '../../core/slicegpt/pca';
import { random32 } from './helpers';

/** What principalDirections computed before for the WGSL solver. */
function stepByStep(m: SecondMoment): { s: Float32Array; exponent: number | null; damp: number } {
  const n = m.n;
  const h = m.matrix();
  assert.equal(firstNonFinite(h), -1);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i];
  const damp = (0.01 * trace) / n;
  for (let i = 0; i < n; i++) h[i * n + i] += damp;
  return { ...scaledSymmetric(h, n, (len) => new Float32Array(len)), damp };
}

/** A moment from token rows (padding skipped) plus a device-style compensated pair: asymmetric at rounding level. */
async function moment(n: number, seed: number): Promise<SecondMoment> {
  const m = new SecondMoment(n);
  const tokens = 37;
  const keep = Uint8Array.from({ length: tokens }, (_, t) => (t % 5 === 3 ? 0 : 1));
  await m.add(random32(tokens * n, seed, 3), tokens, keep);
  m.addCompensated(random32(n * n, seed + 1, 0.25), random32(n * n, seed + 2, 2 ** -20), 11);
  return m;
}

test('the one-pass upload of a moment is bit for bit the symmetrised, damped, scaled float32 matrix of the step-by-step path', async () => {
  // 3 (smallest the solver takes), one tile, and widths crossing 64-wide tiles unevenly.
  for (const n of [3, 64, 70, 131]) {
    const m = await moment(n, n);
    const want = stepByStep(m);
    const got = m.dampedUpload();
    assert.ok(got, `n = ${n}`);
    assert.equal(got.exponent, want.exponent, `n = ${n}`);
    assert.equal(got.damp, want.damp, `n = ${n}`);
    assert.deepEqual(got.s, want.s, `n = ${n}`);
  }
});

test("the upload written into the job's array from an earlier PCA is the same upload, every entry overwritten", async () => {
  const n = 70;
  const scratch = { array: new Float32Array(n * n).fill(NaN) };
  const first = scratch.array;
  for (const seed of [21, 22]) {
    const m = await moment(n, seed);
    const got = m.dampedUpload(scratch);
    assert.ok(got);
    assert.equal(got.s, first);
    assert.deepEqual(got.s, stepByStep(m).s);
  }
  // Another width: a fresh array, kept for the next PCA.
  const m = await moment(30, 23);
  const got = m.dampedUpload(scratch)!;
  assert.notEqual(got.s, first);
  assert.equal(scratch.array, got.s);
  assert.deepEqual(got.s, stepByStep(m).s);
});

test('a moment whose largest entry is off the diagonal, at a higher power of two, is scaled by that entry', async () => {
  const n = 70;
  const m = await moment(n, 5);
  const g = new Float64Array(n * n);
  g[3 * n + 60] = g[60 * n + 3] = 1e6; // far above every diagonal entry (≈ 400)
  m.addGram(g, 0);
  const want = stepByStep(m);
  const got = m.dampedUpload();
  assert.ok(got);
  assert.equal(got.exponent, 19);
  assert.equal(got.exponent, want.exponent);
  assert.deepEqual(got.s, want.s);
});

test('a non-finite moment fails as the step-by-step path does; the zero moment gives no upload', async () => {
  for (const at of [
    [2, 2],
    [1, 68],
    [69, 0],
  ]) {
    for (const bad of [NaN, Infinity]) {
      const m = await moment(70, 9);
      const g = new Float64Array(70 * 70);
      g[at[0] * 70 + at[1]] = bad;
      m.addGram(g, 0);
      assert.throws(() => m.dampedUpload(), { name: 'NonFiniteError', message: 'the calibration activations contain non-finite values (NaN or Inf)' }, `${bad} at ${at}`);
    }
  }
  // Finite, but the damping overflows a diagonal entry: the error scaledSymmetric gave.
  for (const [diag, at] of [
    [[0, 0, 1.795e308, 0], 2], // only that entry overflows
    [[1, 1.7e308, 1.7e308, 1], 0], // the trace does: every entry
  ] as const) {
    const m = new SecondMoment(4);
    const g = new Float64Array(16);
    diag.forEach((d, i) => (g[i * 5] = d));
    m.addGram(g, 1);
    const error = { name: 'EighError', message: `matrix has a non-finite entry at (${at}, ${at})` };
    assert.throws(() => stepByStep(m), error);
    assert.throws(() => m.dampedUpload(), error);
  }
  assert.equal(new SecondMoment(5).dampedUpload(), null);
});

test('without a WebGPU device the WGSL choice gives exactly the float64 PCA (its float64 matrix made for the fallback)', async (t) => {
  const dev = await wgslDevice();
  if ('device' in dev) return t.skip(`this machine has a WebGPU adapter (${dev.adapter}): no fallback to test`);
  const m = await moment(40, 12);
  const a = await principalDirections(m, 'wgsl', { float32Vectors: true, log: () => {} });
  const b = await principalDirections(m);
  assert.deepEqual(a, b);
});
