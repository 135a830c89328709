import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eigh, EighError } from '../../core/linalg/eigh';
import { gemm } from '../../core/linalg/matmul';
import { defaultPanelWidth } from '../../core/linalg/tridiagonalize';
import { isDescending, orthogonality, randomSymmetric, residual, rng, withSpectrum } from './check';

const TOL = 1e-12;

async function assertAccurate(a: Float64Array, n: number, opts = {}) {
  const r = await eigh(a, n, opts);
  assert.equal(r.values.length, n);
  assert.equal(r.vectors.length, n * n);
  assert.ok(isDescending(r.values), 'values are sorted descending');
  const res = await residual(a, n, r.values, r.vectors);
  const orth = await orthogonality(r.vectors, n);
  assert.ok(res <= TOL, `n=${n}: ‖AV − VΛ‖/‖A‖ = ${res}`);
  assert.ok(orth <= TOL, `n=${n}: ‖VᵀV − I‖ = ${orth}`);
  return r;
}

test('random symmetric matrices of many sizes are diagonalized to 1e-12', async () => {
  for (const n of [1, 2, 3, 7, 33, 64, 65, 66, 129, 300]) await assertAccurate(randomSymmetric(n, n), n);
});

test('an odd number of 256-reflector blocks (one applied alone after the pairs) back-transforms exactly', async () => {
  // n = 600: panels of 128 → blocks of 256, 256, 87.
  await assertAccurate(randomSymmetric(600, 6), 600);
});

test('256-wide panels (the many-core default for n ≥ 2048) diagonalize to 1e-12', async () => {
  assert.equal(defaultPanelWidth(4096, 16), 256);
  assert.equal(defaultPanelWidth(4096, 2), 128);
  assert.equal(defaultPanelWidth(1024, 16), 128);
  await assertAccurate(randomSymmetric(700, 7), 700, { blockSize: 256 });
});

test('small panels and leaves exercise every blocked path', async () => {
  await assertAccurate(randomSymmetric(150, 5), 150, { blockSize: 8, leafSize: 4 });
});

test('a 1024×1024 random matrix is diagonalized to 1e-12', async () => {
  await assertAccurate(randomSymmetric(1024, 42), 1024);
});

test('exactly repeated eigenvalues come back repeated with an orthonormal eigenbasis', async () => {
  const n = 200;
  const spectrum = Array.from({ length: n }, (_, i) => (i < 3 ? 1 : i < 100 ? 2 : i < 180 ? -0.5 : 7));
  const a = await withSpectrum(spectrum, 11);
  const { values } = await assertAccurate(a, n);
  const expected = [...spectrum].sort((x, y) => y - x);
  values.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12 * 7, `value ${i}: ${v} vs ${expected[i]}`));
});

test('tightly clustered eigenvalues keep orthogonal vectors', async () => {
  const n = 256;
  const spectrum = Array.from({ length: n }, (_, i) => (i % 4) + 1e-11 * i);
  await assertAccurate(await withSpectrum(spectrum, 12), n);
});

test('rank-deficient Gram matrices (activations: XᵀX with fewer rows than columns) are PSD to rounding', async () => {
  const [rows, cols] = [40, 240];
  const r = rng(13);
  const x = new Float64Array(rows * cols).map(() => r());
  const g = await gemm(x, x, cols, rows, cols, { transA: true });
  const { values } = await assertAccurate(g, cols);
  const tiny = 1e-12 * values[0];
  assert.ok(values[rows - 1] > 1e-3 * values[0], 'the top `rows` eigenvalues are the rank');
  for (let i = rows; i < cols; i++) assert.ok(Math.abs(values[i]) <= tiny, `value ${i} = ${values[i]} should vanish`);
});

test('the identity has unit eigenvalues and an orthonormal eigenbasis', async () => {
  const n = 100;
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) a[i * n + i] = 1;
  const { values } = await assertAccurate(a, n);
  assert.ok(values.every((v) => v === 1));
});

test('a diagonal matrix returns its sorted diagonal and signed unit vectors', async () => {
  const n = 90;
  const r = rng(14);
  const diag = Array.from({ length: n }, () => r() * 10);
  const a = new Float64Array(n * n);
  diag.forEach((v, i) => (a[i * n + i] = v));
  const { values, vectors } = await assertAccurate(a, n);
  const sorted = [...diag].sort((x, y) => y - x);
  // Exact up to the scaling by max |a_ij| (and back), which may move the last bit.
  values.forEach((v, j) => assert.ok(Math.abs(v - sorted[j]) <= 4e-16 * 10, `value ${j}: ${v} vs ${sorted[j]}`));
  for (let j = 0; j < n; j++) {
    const i = diag.indexOf(sorted[j]);
    assert.ok(Math.abs(Math.abs(vectors[i * n + j]) - 1) < 1e-15, `column ${j} is ±e_${i}`);
  }
});

test('Wilkinson-like glued tridiagonals with near-equal pairs deflate correctly', async () => {
  const n = 201;
  const a = new Float64Array(n * n);
  const m = (n - 1) / 2;
  for (let i = 0; i < n; i++) {
    a[i * n + i] = Math.abs(i - m);
    if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = 1;
  }
  await assertAccurate(a, n);
});

test('the zero matrix gives zero eigenvalues and the identity basis', async () => {
  const n = 17;
  const { values, vectors } = await eigh(new Float64Array(n * n), n);
  assert.ok(values.every((v) => v === 0));
  assert.equal(await orthogonality(vectors, n), 0);
});

test('bad input is rejected with EighError', async () => {
  await assert.rejects(eigh(new Float64Array(5), 2), EighError);
  await assert.rejects(eigh(new Float64Array(4), -2), EighError);
  await assert.rejects(eigh(Float64Array.of(1, NaN, NaN, 1), 2), /non-finite/);
});

test('an aborted signal stops the decomposition', async () => {
  const c = new AbortController();
  c.abort();
  await assert.rejects(eigh(randomSymmetric(50, 1), 50, { signal: c.signal }));
});
