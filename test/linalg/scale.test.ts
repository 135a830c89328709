// The eigensolvers' input scaling (core/linalg/scale.ts): for an exactly symmetric matrix (the PCA's moment), the
// one sequential scaled pass gives the very float32 and float64 values of the symmetrising one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scaledSymmetric } from '../../core/linalg/scale';

test('scaling an exactly symmetric matrix without symmetrising it again gives the same values, float32 and float64', () => {
  const n = 70;
  const a = new Float64Array(n * n);
  let s = 7;
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) {
      s = (s * 1103515245 + 12345) % 2 ** 31;
      // Magnitudes from 2^-60 to 2^40 and both signs: float32 rounds, nothing leaves the normal range.
      const v = (s / 2 ** 31 - 0.5) * 2 ** ((s % 100) - 60);
      a[i * n + j] = a[j * n + i] = v;
    }
  const f32 = (len: number) => new Float32Array(len);
  const before = scaledSymmetric(a, n, f32);
  const now = scaledSymmetric(a, n, f32, { symmetric: true });
  assert.equal(now.exponent, before.exponent);
  assert.deepEqual(now.s, before.s);
  assert.deepEqual(scaledSymmetric(a, n, undefined, { symmetric: true }).s, scaledSymmetric(a, n).s);
});
