// The largest size in CI: one 4096×4096 random matrix (LLaMA-2-7B's hidden size), on its own file so
// the runner can overlap it with other files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigh } from '../../core/linalg/eigh';
import { isDescending, orthogonality, randomSymmetric, residual } from './check';

test('a 4096×4096 random symmetric matrix is diagonalized to 1e-12', async () => {
  const n = 4096;
  const a = randomSymmetric(n, 4096);
  const { values, vectors } = await eigh(a, n);
  assert.ok(isDescending(values));
  const res = await residual(a, n, values, vectors);
  const orth = await orthogonality(vectors, n);
  assert.ok(res <= 1e-12, `‖AV − VΛ‖/‖A‖ = ${res}`);
  assert.ok(orth <= 1e-12, `‖VᵀV − I‖ = ${orth}`);
});
