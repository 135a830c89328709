// A device moment settled into an empty SecondMoment is kept as its compensated pair (pca.ts) and read as
// 0 + (s − c) by the PCA's one-pass upload (damped-upload.ts): everything read from it must be bit for bit what the
// float64 sum gives when the pair is added into zeros (h += s − c, the path before), and adding more after it must
// give the sum that path gives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { principalDirections, SecondMoment } from '../../core/slicegpt/pca';
import type { UploadScratch } from '../../core/slicegpt/damped-upload';
import { random32 } from './helpers';

/** A device-style pair: s a Gram matrix of random rows (float32, asymmetric at rounding level), c tiny; some −0 entries. */
function pair(n: number, seed: number): { s: Float32Array; c: Float32Array } {
  const rows = 2 * n + 3;
  const x = random32(rows * n, seed, 2);
  const s = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let a = 0;
      for (let r = 0; r < rows; r++) a += x[r * n + i] * x[r * n + j];
      s[i * n + j] = a * (i < j ? 1 + 2 ** -21 : 1);
    }
  const c = random32(n * n, seed + 1, 2 ** -22);
  // s − c = −0 (−0 − +0) where the sum into zeros gives +0.
  s[1] = -0;
  c[1] = 0;
  s[n] = -0;
  c[n] = 0;
  return { s, c };
}

/** The path before: the pair added into the zeroed float64 sum. */
function summed(n: number, p: { s: Float32Array; c: Float32Array }, rows: number): SecondMoment {
  const m = new SecondMoment(n);
  m.addGram(new Float64Array(n * n), 0);
  m.addCompensated(p.s, p.c, rows);
  return m;
}

function adopted(n: number, p: { s: Float32Array; c: Float32Array }, rows: number): SecondMoment {
  const m = new SecondMoment(n);
  m.addCompensated(p.s, p.c, rows);
  return m;
}

test('the upload of an adopted device pair is bit for bit that of the pair added into the zeroed float64 sum', () => {
  for (const n of [3, 64, 70, 131]) {
    const p = pair(n, n);
    const got = adopted(n, p, 7).dampedUpload()!;
    const want = summed(n, p, 7).dampedUpload()!;
    assert.equal(got.exponent, want.exponent, `n = ${n}`);
    assert.equal(got.damp, want.damp, `n = ${n}`);
    assert.deepEqual(got.s, want.s, `n = ${n}`);
    // deepEqual tells −0 from +0 (Object.is): the sign of the zeros made by s − c is that of 0 + (s − c).
    assert.ok(Object.is(got.s[1], 0) && Object.is(got.s[n], 0), `n = ${n}`);
  }
  // An off-diagonal entry at a higher power of two than the diagonal: the pass redone at its exponent.
  const n = 70;
  const p = pair(n, 5);
  p.s[3 * n + 60] = p.s[60 * n + 3] = 1e7;
  const got = adopted(n, p, 1).dampedUpload()!;
  const want = summed(n, p, 1).dampedUpload()!;
  assert.equal(got.exponent, 23);
  assert.equal(got.exponent, want.exponent);
  assert.deepEqual(got.s, want.s);
});

test("the PCA of an adopted device pair has the summed path's rotation and eigenvalues bit for bit (WGSL or its fallback, and float64)", async () => {
  const n = 40;
  const p = pair(n, 12);
  for (const solver of ['wgsl', 'float64'] as const) {
    const a = await principalDirections(adopted(n, p, 9), solver, { float32Vectors: true, log: () => {} });
    const b = await principalDirections(summed(n, p, 9), solver, { float32Vectors: true, log: () => {} });
    assert.deepEqual(a.q, b.q, solver);
    assert.deepEqual(a.eigenvalues, b.eigenvalues, solver);
    assert.equal(a.damp, b.damp, solver);
    assert.equal(a.tokens, 9);
  }
});

test('adding to a moment holding an adopted pair gives the sum of the summed path, and leaves the pair untouched', async () => {
  const n = 33;
  const p = pair(n, 3);
  const s0 = p.s.slice();
  const x = random32(5 * n, 8, 3);
  const more = pair(n, 4);
  const steps: ((m: SecondMoment) => unknown)[] = [(m) => m.add(x, 5), (m) => m.addGram(more.s, 2), (m) => m.addCompensated(more.s, more.c, 4)];
  for (const step of steps) {
    const a = adopted(n, p, 6);
    const b = summed(n, p, 6);
    await step(a);
    await step(b);
    assert.deepEqual(a.matrix(), b.matrix());
    assert.equal(a.tokens, b.tokens);
    assert.deepEqual(a.dampedUpload(), b.dampedUpload());
  }
  assert.deepEqual(p.s, s0);
  // Read without adding: matrix() is the summed path's too.
  assert.deepEqual(adopted(n, p, 1).matrix(), summed(n, p, 1).matrix());
});

test('a non-finite adopted pair fails as the summed path does', () => {
  for (const [at, bad] of [
    [2 * 71, NaN],
    [68, Infinity],
  ] as const) {
    const p = pair(70, 9);
    p.s[at] = bad;
    const error = { name: 'NonFiniteError', message: 'the calibration activations contain non-finite values (NaN or Inf)' };
    assert.throws(() => summed(70, p, 1).dampedUpload(), error);
    assert.throws(() => adopted(70, p, 1).dampedUpload(), error);
  }
});

test("on worker threads the pair's upload is bit for bit the serial one, into shared arrays kept for the next PCA", () => {
  // 302: a last block row of 46 rows (four-row groups and two rows left over); 131: one of 3 (no group); 70: 6.
  for (const n of [3, 64, 70, 131, 302]) {
    const p = pair(n, n + 1);
    const want = summed(n, p, 3).dampedUpload()!;
    for (const threads of [1, 2, 3]) {
      const scratch: UploadScratch = { array: new Float32Array(n * n).fill(NaN) };
      for (const round of [0, 1]) {
        const got = adopted(n, p, 3).dampedUpload(scratch, { threads })!;
        const at = `n = ${n}, ${threads} threads, round ${round}`;
        assert.equal(got.exponent, want.exponent, at);
        assert.equal(got.damp, want.damp, at);
        assert.deepEqual(got.s, want.s, at);
        assert.equal(scratch.array, got.s, at);
        assert.equal(got.s.buffer instanceof SharedArrayBuffer, threads > 1, at);
        assert.equal(scratch.pair !== undefined, threads > 1, at);
      }
    }
  }
  // The pass redone at an off-diagonal entry's higher exponent, on threads.
  const n = 131;
  const p = pair(n, 6);
  p.s[100 * n + 7] = p.s[7 * n + 100] = 1e7;
  const want = summed(n, p, 1).dampedUpload()!;
  const got = adopted(n, p, 1).dampedUpload({}, { threads: 3 })!;
  assert.equal(got.exponent, 23);
  assert.equal(got.exponent, want.exponent);
  assert.deepEqual(got.s, want.s);
});

test('a non-finite pair fails on worker threads as on one', () => {
  const n = 131;
  // In a four-row group (row 4, column 70), in the rows left over (row 130), in a diagonal tile, and above the diagonal.
  for (const [at, bad] of [
    [4 * n + 70, NaN],
    [130 * n + 5, Infinity],
    [66 * n + 65, -Infinity],
    [3 * n + 120, NaN],
  ] as const) {
    const p = pair(n, 2);
    p.c[at] = bad;
    const error = { name: 'NonFiniteError', message: 'the calibration activations contain non-finite values (NaN or Inf)' };
    assert.throws(() => summed(n, p, 1).dampedUpload(), error, `${bad} at ${at}`);
    for (const threads of [1, 2, 3]) assert.throws(() => adopted(n, p, 1).dampedUpload({}, { threads }), error, `${bad} at ${at}, ${threads} threads`);
  }
});
