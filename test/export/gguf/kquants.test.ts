// The K-quant encoders against ggml's reference quantizers. The expected hashes are of the bytes ggml-quants.c's
// quantize_row_{q5_0,q5_1,q4_K,q5_K,q6_K}_ref wrote for the inputs of kquant-inputs.ts (ggml-org/ggml d99724f
// built with gcc -O2, portable and -march=native alike); ours must be the same bytes. The dequantizers are checked
// by what each layout promises: every value within half a quantization step of its input, and small blocks
// worked by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { decodeTensor, encodeTensor } from '../../../core/export/gguf/quantize';
import { BLOCK, GgmlType } from '../../../core/export/gguf/constants';
import { nearestInt } from '../../../core/export/gguf/kquants/scale-search';
import { kquantInputs } from './kquant-inputs';

const REFERENCE: Record<string, Partial<Record<GgmlType, string>>> = {
  normal: { [GgmlType.Q5_0]: '25053ce728303a5d', [GgmlType.Q5_1]: 'f48c485f1de2440d', [GgmlType.Q4_K]: '3dc33389d5396223', [GgmlType.Q5_K]: 'ee5ccb831d384c78', [GgmlType.Q6_K]: 'bd5a42b8ceae58d7' },
  outliers: { [GgmlType.Q5_0]: '47c00dca919c087f', [GgmlType.Q5_1]: '5b00cf988a288ac9', [GgmlType.Q4_K]: '05a73e31a156b2eb', [GgmlType.Q5_K]: 'f4d300bcbb7b3735', [GgmlType.Q6_K]: '30218c2bba2eafdb' },
  positive: { [GgmlType.Q5_0]: '8f401a7d78983e97', [GgmlType.Q5_1]: '7f69f6cf942bb164', [GgmlType.Q4_K]: 'b3fc14bea2478053', [GgmlType.Q5_K]: 'db79cdc29dd20943', [GgmlType.Q6_K]: '5cd3f9fe89d5a9f8' },
  zeros: { [GgmlType.Q5_0]: '276eedb3fb4c0a5a', [GgmlType.Q5_1]: 'bdec4f1ed0595f32', [GgmlType.Q4_K]: '7fb6d5a1d0c13cf4', [GgmlType.Q5_K]: '90003e1af2772ba7', [GgmlType.Q6_K]: '4c8499b89b4d3853' },
  ties: { [GgmlType.Q5_0]: '6cc91f00a7a434b9', [GgmlType.Q5_1]: 'ca76adeebf04abe6', [GgmlType.Q4_K]: '0d05f1ea0a30c88c', [GgmlType.Q5_K]: '9bff7c3c636c5588', [GgmlType.Q6_K]: '422adcd00b9d44f4' },
};
const TYPES = [GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K];

test("Q4_K, Q5_K, Q6_K, Q5_0 and Q5_1 blocks are the bytes ggml-quants.c's reference quantizers write (5 input shapes each)", () => {
  for (const [name, x] of Object.entries(kquantInputs()))
    for (const t of TYPES) {
      const bytes = encodeTensor(x, t);
      assert.equal(bytes.byteLength, (x.length / BLOCK[t].size) * BLOCK[t].bytes, `${name} ${GgmlType[t]} size`);
      assert.equal(createHash('sha256').update(bytes).digest('hex').slice(0, 16), REFERENCE[name][t], `${name} ${GgmlType[t]}`);
    }
});

test('nearest_int rounds half to even like ggml (the 1.5·2²³ trick), negatives included', () => {
  assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4999998, 3.7, -3.7].map(nearestInt), [0, 2, 2, 0, -2, 2, 4, -4]);
});

test('every K-quant decodes each value to within one quantization step of its input', () => {
  const x = kquantInputs().normal;
  // Steps: the block's own range over its levels; a K-quant's 6-bit scale rounding can add up to one more step.
  const levels: Partial<Record<GgmlType, number>> = { [GgmlType.Q4_K]: 15, [GgmlType.Q5_K]: 31, [GgmlType.Q6_K]: 63, [GgmlType.Q5_0]: 31, [GgmlType.Q5_1]: 31 };
  for (const t of TYPES) {
    const y = decodeTensor(encodeTensor(x, t), t, x.length);
    const size = BLOCK[t].size;
    for (let b = 0; b < x.length / size; b++) {
      const block = x.subarray(b * size, b * size + size);
      const range = Math.max(...block) - Math.min(...block);
      const step = range / levels[t]!;
      for (let j = 0; j < size; j++) assert.ok(Math.abs(y[b * size + j] - block[j]) <= 1.5 * step + 1e-6, `${GgmlType[t]} block ${b} element ${j}: ${y[b * size + j]} for ${block[j]}`);
    }
  }
});

test('a Q6_K block of ±1 steps decodes exactly: d·scale·(q − 32) with the int8 scales and 6-bit levels unpacked', () => {
  // Each 16-weight group alternates −g, +g with g = (group+1)/16: make_qx_quants finds the exact scale, so the
  // block round-trips up to the half-precision d.
  const x = Float32Array.from({ length: 256 }, (_, i) => ((i & 1 ? 1 : -1) * (Math.floor(i / 16) + 1)) / 16);
  const y = decodeTensor(encodeTensor(x, GgmlType.Q6_K), GgmlType.Q6_K, 256);
  for (let i = 0; i < 256; i++) assert.ok(Math.abs(y[i] - x[i]) <= Math.abs(x[i]) * 2e-3, `element ${i}: ${y[i]} for ${x[i]}`);
});

test('a Q4_K block of 8 linear ramps decodes within a 16th of each ramp: 6-bit scales and mins unpacked from the 12 shared bytes', () => {
  // Sub-block j is a ramp over [−j, 15 − j]·(j + 1)/15: each has its own scale and min, so the packed 6-bit
  // scales/mins of sub-blocks 4–7 (split across the 12 bytes) are exercised.
  const x = Float32Array.from({ length: 256 }, (_, i) => {
    const j = Math.floor(i / 32);
    return ((((i % 32) / 31) * 15 - j) * (j + 1)) / 15;
  });
  const y = decodeTensor(encodeTensor(x, GgmlType.Q4_K), GgmlType.Q4_K, 256);
  for (let i = 0; i < 256; i++) {
    const j = Math.floor(i / 32);
    assert.ok(Math.abs(y[i] - x[i]) <= (j + 1) / 15, `element ${i}: ${y[i]} for ${x[i]}`);
  }
});

test('an all-zero super-block encodes to zero bytes and decodes to zeros in every K-quant', () => {
  const x = new Float32Array(256);
  for (const t of [GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K]) {
    const bytes = encodeTensor(x, t);
    assert.ok(
      bytes.every((b) => b === 0),
      GgmlType[t],
    );
    assert.ok(
      decodeTensor(bytes, t, 256).every((v) => v === 0),
      GgmlType[t],
    );
  }
});
