import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecondMoment, principalDirections, explainedVariance } from '../../core/slicegpt/pca';

function randomRows(tokens: number, n: number, seed: number): Float32Array {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32 - 0.5);
  // Anisotropic: column j scaled by 1/(1+j) so the spectrum is spread out.
  return Float32Array.from({ length: tokens * n }, (_, i) => u() / (1 + (i % n)));
}

test('the second moment is Σ XᵀX in float64 over kept tokens only (padding excluded)', async () => {
  const n = 6;
  const x = randomRows(10, n, 3);
  const keep = Uint8Array.from([1, 1, 0, 1, 1, 1, 0, 1, 1, 1]);
  const m = new SecondMoment(n);
  await m.add(x.subarray(0, 5 * n), 5, keep.subarray(0, 5));
  await m.add(x.subarray(5 * n), 5, keep.subarray(5));
  assert.equal(m.tokens, 8);
  const h = m.matrix();
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < 10; t++) if (keep[t]) s += x[t * n + i] * x[t * n + j];
      assert.ok(Math.abs(h[i * n + j] - s) <= 1e-15 * Math.abs(s) + 1e-300, `H[${i},${j}]`);
    }
});

test('principal directions: damped by 0.01·mean(diag), descending, orthonormal, eigenvalues of the undamped moment', async () => {
  const n = 24;
  const m = new SecondMoment(n);
  await m.add(randomRows(300, n, 9), 300);
  const h = m.matrix();
  const r = await principalDirections(m);
  let trace = 0;
  for (let i = 0; i < n; i++) trace += h[i * n + i];
  assert.ok(Math.abs(r.damp - (0.01 * trace) / n) < 1e-15 * trace);
  for (let i = 1; i < n; i++) assert.ok(r.eigenvalues[i] <= r.eigenvalues[i - 1]);
  // H·q_j = λ_j·q_j (undamped eigenvalues), QᵀQ = I.
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      let hv = 0;
      for (let k = 0; k < n; k++) hv += h[i * n + k] * r.q[k * n + j];
      assert.ok(Math.abs(hv - r.eigenvalues[j] * r.q[i * n + j]) < 1e-12 * trace, `residual at ${i},${j}`);
    }
    for (let k = 0; k < n; k++) {
      let d = 0;
      for (let i = 0; i < n; i++) d += r.q[i * n + j] * r.q[i * n + k];
      assert.ok(Math.abs(d - (j === k ? 1 : 0)) < 1e-13);
    }
  }
  const ev = explainedVariance(r.eigenvalues, n / 2);
  assert.ok(ev > 0.5 && ev < 1);
  assert.equal(explainedVariance(r.eigenvalues, n), 1);
});
