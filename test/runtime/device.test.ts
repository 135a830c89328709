// DeviceTensors on the CPU EP (the same graphs run on a GPU EP): uploads, products and the compensated
// on-device accumulation of Gram matrices that SliceGPT's device engine relies on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { DeviceTensors, type DeviceMoment } from '../../core/runtime/device';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32 - 0.5));
}

test('per-batch Gram matrices accumulated on the device equal the float64 Σ xᵀx, masked rows left out', async () => {
  const dev = new DeviceTensors('cpu');
  const n = 12;
  const rows = 32;
  const exact = new Float64Array(n * n);
  let acc: DeviceMoment | undefined;
  let kept = 0;
  for (let b = 0; b < 5; b++) {
    const x = rand(rows * n, b + 1);
    const keep = Uint8Array.from({ length: rows }, (_, r) => ((r + b) % 7 === 0 ? 0 : 1));
    for (let r = 0; r < rows; r++) {
      if (!keep[r]) continue;
      kept++;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) exact[i * n + j] += x[r * n + i] * x[r * n + j];
    }
    acc = await dev.accumulate(new ort.Tensor('float32', x, [1, rows, n]), keep, acc);
  }
  assert.equal(acc!.rows, kept);
  const got = await dev.settle(acc!);
  let worst = 0;
  for (let i = 0; i < n * n; i++) worst = Math.max(worst, Math.abs(got[i] - exact[i]) / (Math.abs(exact[i]) + 1));
  assert.ok(worst < 1e-6, `worst relative error ${worst}`);
  await dev.dispose();
});

test('the accumulation across batches is compensated: 1 + 1000 × 10⁻⁸ keeps the small terms float32 alone would drop', async () => {
  const dev = new DeviceTensors('cpu');
  const one = (v: number) => new ort.Tensor('float32', Float32Array.of(v), [1, 1, 1]);
  let acc = await dev.accumulate(one(1), undefined, undefined);
  for (let i = 0; i < 1000; i++) acc = await dev.accumulate(one(1e-4), undefined, acc);
  const small = Math.fround(1e-4) ** 2;
  const expected = 1 + 1000 * Math.fround(small);
  const got = (await dev.settle(acc))[0];
  // Naive float32 summation returns exactly 1 here (each 10⁻⁸ is below half an ulp of 1).
  assert.ok(Math.abs(got - expected) < 1e-9, `got ${got}, expected ${expected}`);
  await dev.dispose();
});

test('upload can transpose and matmul multiplies [batch, seq, n] activations by an n×k matrix', async () => {
  const dev = new DeviceTensors('cpu');
  const w = Float32Array.of(1, 2, 3, 4, 5, 6); // 2×3
  const wt = await dev.upload(w, 2, 3, true);
  assert.deepEqual(wt.dims, [3, 2]);
  assert.deepEqual(Array.from(wt.data as Float32Array), [1, 4, 2, 5, 3, 6]);
  const x = new ort.Tensor('float32', Float32Array.of(1, 0, 0, 0, 1, 1), [1, 2, 3]);
  const y = await dev.matmul(x, wt);
  assert.deepEqual(y.dims, [1, 2, 2]);
  assert.deepEqual(Array.from(await dev.download(y)), [1, 4, 5, 11]);
  await dev.dispose();
});

// float16 bits of a few exactly representable values, for reading float16 host tensors back.
const halfBits = new Map([
  [0x3c00, 1],
  [0x4000, 2],
  [0x3800, 0.5],
  [0xc000, -2],
  [0x0000, 0],
]);
const fromHalf = (t: ort.Tensor) => Array.from(t.data as Uint16Array, (b) => halfBits.get(b) ?? NaN);

test('float16 passes: uploads round to float16 (transposed when asked), downloads widen back, toHalf converts activations', async () => {
  const dev = new DeviceTensors('cpu');
  const wt = await dev.upload(Float32Array.of(1, 2, 0.5, -2, 0, 1), 2, 3, true, true);
  assert.equal(wt.type, 'float16');
  assert.deepEqual(wt.dims, [3, 2]);
  assert.deepEqual(fromHalf(wt), [1, -2, 2, 0, 0.5, 1]);
  // 1 + 2⁻¹² is not a float16: it rounds to 1.
  const x = await dev.toHalf(new ort.Tensor('float32', Float32Array.of(1 + 2 ** -12, 2, -2, 0.5), [1, 2, 2]));
  assert.equal(x.type, 'float16');
  assert.deepEqual(Array.from(await dev.download(x)), [1, 2, -2, 0.5]);
  await dev.dispose();
});

test('float16 activations: the Gram matrix is a float32 product of their values, and matmul returns float16 of the float32 product', async () => {
  const dev = new DeviceTensors('cpu');
  const n = 8;
  const rows = 16;
  const x32 = rand(rows * n, 3);
  const x16 = await dev.toHalf(new ort.Tensor('float32', x32, [1, rows, n]));
  const xr = await dev.download(x16); // the float16 values, widened
  const exact = new Float64Array(n * n);
  for (let r = 0; r < rows; r++) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) exact[i * n + j] += xr[r * n + i] * xr[r * n + j];
  const got = await dev.settle(await dev.accumulate(x16, undefined, undefined));
  for (let i = 0; i < n * n; i++) assert.ok(Math.abs(got[i] - exact[i]) < 1e-6, `Gram[${i}] ${got[i]} vs ${exact[i]}`);
  const w = await dev.upload(rand(n * 3, 4), n, 3);
  const y = await dev.matmul(x16, w);
  assert.equal(y.type, 'float16');
  const yd = await dev.download(y);
  const wd = w.data as Float32Array;
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < 3; c++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += xr[r * n + i] * wd[i * 3 + c];
      // float16 keeps 11 significant bits: half an ulp is 2⁻¹¹ relative.
      assert.ok(Math.abs(yd[r * 3 + c] - s) <= Math.abs(s) * 2 ** -11 + 1e-7, `y[${r},${c}] ${yd[r * 3 + c]} vs ${s}`);
    }
  await dev.dispose();
});
