// The eigensolvers' input scaling (core/linalg/scale.ts): for an exactly symmetric matrix (the PCA's moment), the
// symmetrising pass (a + aᵀ)·2^(−e−1) gives the very values a·2^−e (a power of two), float32 and float64 — what
// test/slicegpt/damped-upload.test.ts relies on when it takes scaledSymmetric as the one-pass upload's reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaledSymmetric } from '../../core/linalg/scale';

test('scaling an exactly symmetric matrix gives a·2^−e, rounded once, float32 and float64', () => {
  const n = 70;
  const a = new Float64Array(n * n);
  let s = 7;
  let amax = 0;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      // Magnitudes from 2^-60 to 2^40 and both signs: float32 rounds, nothing leaves the normal range.
      const v = (s / 2 ** 31 - 0.5) * 2 ** ((s % 100) - 60);
      a[i * n + j] = a[j * n + i] = v;
      amax = Math.max(amax, Math.abs(v));
    }
  const e = Math.floor(Math.log2(amax));
  const f32 = scaledSymmetric(a, n, (len) => new Float32Array(len));
  assert.equal(f32.exponent, e);
  assert.deepEqual(
    f32.s,
    Float32Array.from(a, (v) => v * 2 ** -e),
  );
  const f64 = scaledSymmetric(a, n);
  assert.equal(f64.exponent, e);
  assert.deepEqual(
    f64.s,
    Float64Array.from(a, (v) => v * 2 ** -e),
  );
});
