// A lazy float16 matrix (core/model/lazy-half.ts): the device engine's rotated weights of a float16 slice keep
// their float16 bits, and the float32 values are filled only when something reads them. Whoever reads them —
// through `data`, a block run in any weight mode, or the safetensors writer in any dtype — must get exactly what
// widening at once gave (widenHalf), and the float16 writer must write the bits without filling anything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { halfMatrix, isPendingHalf, storageOf } from '../../core/model/lazy-half';
import { widenHalf } from '../../core/runtime/half-weights';
import { toHalfBits } from '../../core/model/half-bits';
import { writeSafetensors } from '../../core/model/safetensors-writer';
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import type { MlpWeights } from '../../core/model/weights';
import { modelPath } from '../slicegpt/helpers';

const bitsOfValues = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

/** The tensor bytes of a one-tensor safetensors file. */
async function written(dir: string, name: string, dtype: 'F16' | 'F32' | 'BF16', data: Float32Array): Promise<Buffer> {
  const file = join(dir, `${name}.safetensors`);
  await writeSafetensors(file, [{ name: 't', dtype, shape: [data.length], data }]);
  const raw = readFileSync(file);
  return raw.subarray(8 + Number(raw.readBigUInt64LE(0)));
}

test('a lazy float16 matrix is unfilled until its data is read, then holds every pattern exactly as widenHalf widens it, NaNs included', () => {
  const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
  const m = halfMatrix(256, 256, all);
  const raw = storageOf(m);
  assert.ok(isPendingHalf(raw), 'allocated, not filled');
  assert.ok(raw.every((v) => v === 0));
  const values = m.data;
  assert.equal(values, raw, 'the same array, filled in place');
  assert.ok(!isPendingHalf(raw));
  assert.deepEqual(bitsOfValues(values), bitsOfValues(widenHalf(all, { remember: false })));
  // A spread copy reads through the getter: a plain matrix with the values.
  const copy = { ...halfMatrix(256, 256, all) };
  assert.deepEqual(bitsOfValues(copy.data), bitsOfValues(values));
  assert.throws(() => halfMatrix(3, 3, all), /65536 values for 3×3/);
});

test('the float16 writer writes a lazy matrix from its bits without filling it; float32 and bfloat16 writers fill it first', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-half-'));
  try {
    const bits = Uint16Array.from({ length: 4096 }, (_, i) => (i * 2654435761) & 0xfbff); // no Inf/NaN exponent
    const lazy = () => storageOf(halfMatrix(64, 64, bits));
    const f16 = lazy();
    assert.deepEqual(await written(dir, 'f16', 'F16', f16), Buffer.from(bits.buffer));
    assert.ok(isPendingHalf(f16), 'the float16 shard did not widen it');
    for (const dtype of ['F32', 'BF16'] as const) {
      const a = lazy();
      assert.deepEqual(await written(dir, `lazy-${dtype}`, dtype, a), await written(dir, `eager-${dtype}`, dtype, widenHalf(bits)), dtype);
      assert.ok(!isPendingHalf(a));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a lazy matrix holding a NaN is written as float16 by rounding its values, the same bytes as widenHalf’s array', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lazy-half-'));
  try {
    for (const bits of [Uint16Array.of(0x3c00, 0x7c01, 0xfc00), Uint16Array.of(0x3c00, 0x0001, 0xfe01, 0x7c00)]) {
      const lazy = storageOf(halfMatrix(1, bits.length, bits));
      const eager = widenHalf(bits);
      assert.deepEqual(await written(dir, 'lazy', 'F16', lazy), await written(dir, 'eager', 'F16', eager));
      assert.ok(!isPendingHalf(lazy), 'rounding read its values');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a lazy matrix fed to a block run — fed mode, or resident mode without an adopted copy — is filled first: tiny-llama's MLP gives the same output", async () => {
  const src = await openModel(modelPath('tiny-llama'));
  const mlp = (await src.layer(0)).kind === 'sequential' ? ((await src.layer(0)) as { mlp: MlpWeights }).mlp : null;
  assert.ok(mlp);
  const D = mlp.up.weight.cols;
  const x = Float32Array.from({ length: 2 * 8 * D }, (_, i) => Math.sin(i) * 0.5);
  const lazyOf = (w: MlpWeights['up']['weight']) => halfMatrix(w.rows, w.cols, Uint16Array.from(w.data, toHalfBits));
  for (const opts of [{}, { resident: 'always' as const }]) {
    const runner = await createBlockRunner(src.arch, { ep: 'cpu', ...opts });
    try {
      const plain = await runner.mlp(mlp, x, 2, 8);
      const up = lazyOf(mlp.up.weight);
      const down = lazyOf(mlp.down.weight);
      const got = await runner.mlp({ ...mlp, up: { weight: up }, down: { weight: down } }, x, 2, 8);
      assert.ok(!isPendingHalf(storageOf(up)) && !isPendingHalf(storageOf(down)), `${JSON.stringify(opts)}: filled by the run`);
      assert.deepEqual(got, plain, JSON.stringify(opts));
    } finally {
      await runner.dispose();
    }
  }
});
