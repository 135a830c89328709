import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gemm, matmul, matmulNT, matmulTN, GramAccumulator, MatmulError } from '../../core/linalg/matmul';
import { rng } from './check';

function naive(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number, ta = false, tb = false): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      c[i * n + j] = s;
    }
  return c;
}

const maxDiff = (x: ArrayLike<number>, y: ArrayLike<number>) => {
  assert.equal(x.length, y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
};

const random = (len: number, seed: number) => {
  const r = rng(seed);
  return new Float64Array(len).map(() => r());
};

test('float64 products through ORT match the textbook sums in every transpose', async () => {
  const [m, k, n] = [37, 53, 29];
  const a = random(m * k, 1);
  const b = random(k * n, 2);
  assert.ok(maxDiff(await matmul(a, b, m, k, n), naive(a, b, m, k, n)) < 1e-13);
  assert.ok(maxDiff(await matmulTN(a, b.subarray(0, m * n), m, k, n), naive(a, b, k, m, n, true)) < 1e-13);
  const bt = random(n * k, 3);
  assert.ok(maxDiff(await matmulNT(a, bt, m, k, n), naive(a, bt, m, k, n, false, true)) < 1e-13);
});

test('gemm adds alpha·op(A)·op(B) to beta·C and accepts subarray views', async () => {
  const [m, k, n] = [20, 30, 10];
  const big = random(1000 + k * m, 4);
  const a = big.subarray(1000); // an offset view, stored k×m
  const b = random(n * k, 5);
  const c = random(m * n, 6);
  const y = await gemm(a, b, m, k, n, { transA: true, transB: true, alpha: -1, beta: 0.5, c });
  const ref = naive(a, b, m, k, n, true, true).map((v, i) => -v + 0.5 * c[i]);
  assert.ok(maxDiff(y, ref) < 1e-13);
  assert.ok(y instanceof Float64Array);
});

test('float32 products stay float32 (rotating weights W·Q)', async () => {
  const [m, k, n] = [16, 24, 8];
  const a = Float32Array.from(random(m * k, 7));
  const b = Float32Array.from(random(k * n, 8));
  const y = await matmul(a, b, m, k, n);
  assert.ok(y instanceof Float32Array);
  assert.ok(maxDiff(y, naive(a, b, m, k, n)) < 1e-5);
});

test('empty dimensions give empty or zero products without calling the engine', async () => {
  assert.equal((await matmul(new Float64Array(0), new Float64Array(0), 0, 3, 0)).length, 0);
  const z = await matmul(new Float64Array(0), new Float64Array(0), 2, 0, 3);
  assert.deepEqual([...z], [0, 0, 0, 0, 0, 0]);
});

test('mismatched sizes, mixed dtypes and inexact alpha are rejected with MatmulError', async () => {
  await assert.rejects(matmul(new Float64Array(5), new Float64Array(6), 2, 3, 2), MatmulError);
  await assert.rejects(gemm(new Float64Array(6), new Float32Array(6) as unknown as Float64Array, 2, 3, 2), MatmulError);
  await assert.rejects(gemm(new Float64Array(6), new Float64Array(6), 2, 3, 2, { alpha: 0.1 }), /not exact in float32/);
});

test('GramAccumulator sums XᵀX over float32 batches in float64', async () => {
  const cols = 24;
  const g = new GramAccumulator(cols);
  const batches = [13, 7, 30].map((rows, i) => ({ rows, x: Float32Array.from(random(rows * cols, 10 + i)) }));
  for (const { x, rows } of batches) await g.add(x, rows);
  assert.equal(g.rows, 50);
  const ref = new Float64Array(cols * cols);
  for (const { x, rows } of batches) naive(x, x, cols, rows, cols, true).forEach((v, i) => (ref[i] += v));
  assert.ok(maxDiff(g.sum, ref) < 1e-12);
  assert.throws(() => new GramAccumulator(0), MatmulError);
});

test('gemm writes into a preallocated output view when asked', async () => {
  const [m, k, n] = [6, 5, 4];
  const a = random(m * k, 20);
  const b = random(k * n, 21);
  const buf = new Float64Array(100).fill(7);
  const view = buf.subarray(10, 10 + m * n);
  const y = await gemm(a, b, m, k, n, { out: view });
  assert.equal(y, view);
  assert.ok(maxDiff(view, naive(a, b, m, k, n)) < 1e-13);
  assert.equal(buf[9], 7);
  assert.equal(buf[10 + m * n], 7);
});
