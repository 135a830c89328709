// synth's generator: standard-normal values (mean 0, std 1, tails to ~4.3σ), the same values as bf16 and
// f16 bits (decoded by the loader's own converters, they agree to bf16 precision), and any slice of a
// tensor regenerated alone equals the same slice of the whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fill, type Draw } from '../../core/linalg/gaussian';
import { toFloat32 } from '../../core/model/safetensors';

const decode = (bits: Uint16Array, dtype: 'BF16' | 'F16') => toFloat32(new Uint8Array(bits.buffer, bits.byteOffset, bits.byteLength), dtype);
const draw: Draw = { seed: 12345, rows: 1000, cols: 1000, std: 1 };

test('fill draws standard-normal values: mean ≈ 0, std ≈ 1, |z| < 4.5 over a million samples', () => {
  const v = decode(((b) => (fill(draw, 0, b, 'bf16'), b))(new Uint16Array(1_000_000)), 'BF16');
  const mean = v.reduce((a, x) => a + x, 0) / v.length;
  const std = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / v.length);
  assert.ok(Math.abs(mean) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(std - 1) < 0.005, `std ${std}`);
  assert.ok(v.every((x) => Math.abs(x) < 4.5));
});

test('bf16 and f16 bits of the same draw decode to the same values within bf16 rounding; row scales scale rows', () => {
  const rowScale = Float32Array.from({ length: 1000 }, (_, r) => 0.001 + r / 100);
  const d = { ...draw, std: 0.02, rowScale };
  const b = new Uint16Array(200_000);
  const h = new Uint16Array(200_000);
  fill(d, 0, b, 'bf16');
  fill(d, 0, h, 'f16');
  const vb = decode(b, 'BF16');
  const vh = decode(h, 'F16');
  for (let i = 0; i < vb.length; i++) {
    const tol = Math.abs(vh[i]) * 2 ** -8 + 2 ** -24;
    assert.ok(Math.abs(vb[i] - vh[i]) <= tol, `element ${i}: bf16 ${vb[i]} vs f16 ${vh[i]}`);
  }
  // row 0 is scaled by 0.001, row 199 by 1.991
  const rms = (r: number) => Math.sqrt(vh.subarray(r * 1000, (r + 1) * 1000).reduce((a, x) => a + x * x, 0) / 1000);
  assert.ok(rms(199) / rms(0) > 500, `${rms(199)} / ${rms(0)}`);
});

test('a slice generated alone equals the same slice of the whole tensor (chunking cannot change the model)', () => {
  const whole = new Uint16Array(10_000);
  fill({ ...draw, colScale: Float32Array.from({ length: 1000 }, (_, c) => 1 + c) }, 0, whole, 'bf16');
  const part = new Uint16Array(3_000);
  fill({ ...draw, colScale: Float32Array.from({ length: 1000 }, (_, c) => 1 + c) }, 4_002, part, 'bf16');
  assert.deepEqual(part, whole.subarray(4_002, 7_002));
});
