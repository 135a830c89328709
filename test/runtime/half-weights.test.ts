// Weights go to the device as float16 only when nothing is lost (core/runtime/half-weights.ts): every value
// a float16 normal (or zero) times one power-of-two scale, or a fused reader recomputed from its source
// and the norm's γ exactly as fuse.ts multiplies. Anything else stays float32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { halfExact, halfExactFolded, widenHalf } from '../../core/runtime/half-weights';
import { toBfloat16Bits } from '../../core/model/safetensors-writer';
import { foldNormIntoReader } from '../../core/slicegpt/fuse';
import { openModel } from '../../core/model/source';
import { sharedModel } from '../shared';

const bf16 = (x: number) => new Float32Array(new Uint32Array([toBfloat16Bits(x) << 16]).buffer)[0];
const restored = (h: { bits: Uint16Array; scale: number }) => Array.from(widenHalf(h.bits), (v) => Math.fround(v * h.scale));

test('every float16 weight of tiny-llama converts to float16 bits that give back its float32 values exactly', async () => {
  const w = await (await openModel(sharedModel('tiny-llama'))).layer(0);
  if (w.kind !== 'sequential') throw new Error('tiny-llama is sequential');
  for (const lin of [w.attn.q, w.attn.o, w.mlp.gate!, w.mlp.down]) {
    const h = halfExact(lin.weight.data);
    assert.ok(h, 'a float16 source is always exact');
    assert.deepEqual(restored(h), Array.from(lin.weight.data));
  }
});

test('bfloat16 values spanning 30 binades are exact as scaled float16, one more binade down is refused', () => {
  // 3.5 lies in the binade of 2¹: 2¹ … 2⁻²⁸ are 30 binades, float16's normal range.
  const values = Float32Array.from([3.5, -1e-3, 0.0123, 0, -0, 2 ** -26 * 1.5, -(2 ** -28)].map(bf16));
  const h = halfExact(values);
  assert.ok(h);
  assert.deepEqual(restored(h), Array.from(values));
  assert.equal(halfExact(Float32Array.from([3.5, bf16(2 ** -29)])), null);
});

test('float32 weights (more than 10 mantissa bits), subnormals, Inf and NaN stay float32', () => {
  assert.equal(halfExact(Float32Array.from([0.5, 0.1])), null);
  assert.equal(halfExact(Float32Array.from([0.5, 1e-40])), null);
  assert.equal(halfExact(Float32Array.from([0.5, Infinity])), null);
  assert.equal(halfExact(Float32Array.from([0.5, NaN])), null);
});

test("a fused reader is its source's float16 bits and the norm's γ, checked against fuse.ts entry by entry", async () => {
  const w = await (await openModel(sharedModel('tiny-llama'))).layer(1);
  if (w.kind !== 'sequential' || w.attn.norm.kind !== 'rmsnorm') throw new Error('tiny-llama is a sequential RMSNorm model');
  const gamma = w.attn.norm.weight!;
  const fused = foldNormIntoReader(w.attn.norm, w.attn.q).weight;
  const h = halfExactFolded(w.attn.q.weight.data, gamma, fused.data, fused.cols);
  assert.ok(h && h.columns === gamma);
  const again = widenHalf(h.bits).map((v, i) => Math.fround(Math.fround(v * h.scale) * gamma[i % fused.cols]));
  assert.deepEqual(Array.from(again), Array.from(fused.data));
  // A fused matrix that is not that product is refused.
  const other = Float32Array.from(fused.data);
  other[5] = Math.fround(other[5] * 1.5);
  assert.equal(halfExactFolded(w.attn.q.weight.data, gamma, other, fused.cols), null);
});

test('widenHalf reads float16 bits: normals, the largest, subnormals, signed zero and Inf', () => {
  assert.deepEqual(Array.from(widenHalf(Uint16Array.of(0x3c00, 0xc100, 0x7bff, 0x0001, 0x8000, 0x7c00))), [1, -2.5, 65504, 2 ** -24, -0, Infinity]);
});
