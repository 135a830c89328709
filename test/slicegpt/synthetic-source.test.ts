import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyntheticSource, rounded } from '../../core/slicegpt/synthetic-source';
import { toBfloat16Bits, toHalfBits } from '../../core/model/safetensors-writer';
import { widenHalf } from '../../core/runtime/half-weights';
import { RANDOM_CONFIGS } from './helpers';

/** Float32 values spread over float16's normal, subnormal and underflow ranges, ties to even included. */
function probes(): Float32Array {
  const v: number[] = [0, -0, 2 ** -25, -(2 ** -25), 3 * 2 ** -25, 2 ** -24, 1.5 * 2 ** -24, 2.5 * 2 ** -24, 2 ** -14, 2 ** -14 - 2 ** -25, 1 + 2 ** -11, 1 + 3 * 2 ** -11, 65504];
  let s = 12345;
  for (let i = 0; i < 200_000; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    // magnitudes from 2⁻²⁸ to 2⁴, either sign
    v.push((s & 1 ? -1 : 1) * 2 ** (-28 + ((s >>> 1) / 2 ** 31) * 32));
  }
  return Float32Array.from(v);
}

test('rounded() gives the float16 and bfloat16 values of the writer’s rounding (nearest even), subnormals and ±0 included', () => {
  const x = probes();
  const half = rounded(x.slice(), 'float16');
  const bf = rounded(x.slice(), 'bfloat16');
  const halfRef = widenHalf(
    Uint16Array.from(x, (v) => toHalfBits(v)),
    { remember: false },
  );
  const bfRef = new Float32Array(new Uint32Array(Array.from(x, (v) => toBfloat16Bits(v) << 16)).buffer);
  for (let i = 0; i < x.length; i++) {
    assert.ok(Object.is(half[i], halfRef[i]), `float16 of ${x[i]}: ${half[i]} vs ${halfRef[i]}`);
    assert.ok(Object.is(bf[i], bfRef[i]), `bfloat16 of ${x[i]}: ${bf[i]} vs ${bfRef[i]}`);
  }
  assert.equal(rounded(x, 'float32'), x);
});

test('synthetic weights: deterministic per seed, std 1/√cols, independent across tensors and layers, rounded to the dtype', async () => {
  const raw = { ...RANDOM_CONFIGS.llama, hidden_size: 256, intermediate_size: 512, num_attention_heads: 4, num_key_value_heads: 4 };
  const a = await new SyntheticSource(raw, 1, { dtype: 'float16' }).layer(0);
  const again = await new SyntheticSource(raw, 1, { dtype: 'float16' }).layer(0);
  const next = await new SyntheticSource(raw, 1, { dtype: 'float16' }).layer(1);
  assert.ok(a.kind === 'sequential' && again.kind === 'sequential' && next.kind === 'sequential');
  assert.deepEqual(a.attn.q.weight.data, again.attn.q.weight.data);
  const q = a.attn.q.weight.data;
  const corr = (x: Float32Array, y: Float32Array) => {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < x.length; i++) ((xy += x[i] * y[i]), (xx += x[i] * x[i]), (yy += y[i] * y[i]));
    return xy / Math.sqrt(xx * yy);
  };
  let m = 0;
  let v = 0;
  for (const x of q) ((m += x), (v += x * x));
  m /= q.length;
  const std = Math.sqrt(v / q.length - m * m);
  assert.ok(Math.abs(std * Math.sqrt(256) - 1) < 0.01, `std·√cols ${std * 16}`);
  assert.ok(Math.abs(m) < 0.02 * std, `mean ${m}`);
  // q, k, v have neighbouring seeds: no shared runs, so no correlation, also shifted by one pair
  const k = a.attn.k.weight.data;
  for (const [x, y] of [
    [q, k],
    [q, next.attn.q.weight.data],
    [q.subarray(2), k.subarray(0, k.length - 2)],
    [q.subarray(0, q.length - 2), k.subarray(2)],
  ])
    assert.ok(Math.abs(corr(x, y)) < 0.02, `correlation ${corr(x, y)}`);
  // float16 values: rounding them again changes nothing
  assert.deepEqual(rounded(q.slice(), 'float16'), q);
  // and float32 weights are not (the rounding is the dtype's, not the generator's)
  const l32 = await new SyntheticSource(raw, 1, { dtype: 'float32' }).layer(0);
  assert.ok(l32.kind === 'sequential');
  assert.notDeepEqual(rounded(l32.attn.q.weight.data.slice(), 'float16'), l32.attn.q.weight.data);
});
