import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, toBfloat16Bits, toHalfBits } from '../../core/model/safetensors-writer';
import { SafetensorsModel, readSafetensorsHeader, toFloat32 } from '../../core/model/safetensors';

test('tensors written as F32, F64 and F16 read back through SafetensorsModel', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'st-'));
  try {
    const a = Float32Array.from({ length: 6 }, (_, i) => i * 0.1 - 0.2);
    const b = Float64Array.from([Math.PI, -1e-300, 1e300]);
    const c = Float32Array.from([1, -2.5, 65504, 1e-7, 0.1]);
    await writeSafetensors(
      join(dir, 'model.safetensors'),
      [
        { name: 'a', dtype: 'F32', shape: [2, 3], data: a },
        { name: 'b', dtype: 'F64', shape: [3], data: b },
        { name: 'c', dtype: 'F16', shape: [5], data: c },
      ],
      { format: 'pt' },
    );
    assert.deepEqual(readdirSync(dir), ['model.safetensors'], 'no temporary file left');
    const { tensors, metadata } = await readSafetensorsHeader(join(dir, 'model.safetensors'));
    assert.equal(metadata.format, 'pt');
    assert.equal(tensors[0].offset % 8, 0, 'data is 8-byte aligned');
    const st = await SafetensorsModel.create(dir);
    assert.deepEqual(await st.read('a'), a);
    const bb = await st.readBytes('b');
    assert.deepEqual(new Float64Array(bb.buffer.slice(bb.byteOffset, bb.byteOffset + bb.byteLength)), b);
    const back = await st.read('c');
    // Round to nearest even, exactly what the reader's float16 table decodes.
    for (let i = 0; i < c.length; i++) assert.equal(back[i], toFloat32(new Uint8Array(Uint16Array.of(toHalfBits(c[i])).buffer), 'F16')[0]);
    assert.deepEqual(Array.from(back.subarray(0, 3)), [1, -2.5, 65504]);
    assert.ok(Math.abs(back[4] - 0.1) < 1e-4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('float16 rounding is to nearest even, with overflow to infinity and subnormals', () => {
  assert.equal(toHalfBits(1), 0x3c00);
  assert.equal(toHalfBits(1 + 2 ** -11), 0x3c00); // tie → even
  assert.equal(toHalfBits(1 + 3 * 2 ** -11), 0x3c02); // tie → even (up)
  assert.equal(toHalfBits(70000), 0x7c00);
  assert.equal(toHalfBits(2 ** -24), 0x0001);
  assert.equal(toHalfBits(-0), 0x8000);
});

test('bfloat16 (a bf16 model slices to bf16): round to nearest even, NaN stays NaN, and reads back', async () => {
  assert.equal(toBfloat16Bits(1), 0x3f80);
  assert.equal(toBfloat16Bits(1 + 2 ** -8), 0x3f80); // tie → even
  assert.equal(toBfloat16Bits(1 + 3 * 2 ** -8), 0x3f82); // tie → even (up)
  assert.equal(toBfloat16Bits(-2), 0xc000);
  assert.equal(toBfloat16Bits(NaN) & 0x7fc0, 0x7fc0);
  const dir = mkdtempSync(join(tmpdir(), 'st-bf16-'));
  try {
    const v = Float32Array.from([1, -2, 0.1, 3e38]);
    await writeSafetensors(join(dir, 'model.safetensors'), [{ name: 'w', dtype: 'BF16', shape: [4], data: v }]);
    const back = await (await SafetensorsModel.create(dir)).read('w');
    assert.deepEqual(Array.from(back.subarray(0, 2)), [1, -2]);
    assert.ok(Math.abs(back[2] - 0.1) < 1e-3 && Math.abs(back[3] / 3e38 - 1) < 1e-2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
