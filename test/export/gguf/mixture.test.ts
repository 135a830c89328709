// Per-tensor types as llama.cpp's quantizer assigns them (src/llama-quant.cpp llama_tensor_get_type), and its
// row-length fallbacks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgmlType } from '../../../core/export/gguf/constants';
import { fallbackType, tensorType } from '../../../core/export/gguf/mixture';
import { useMoreBits } from '../../../core/plan/formats';
import { kquantRefusal, nearestFittingDtype } from '../../../core/export/gguf/kquant-refusal';

const llama8B = { arch: 'llama', layers: 32, heads: 32, kvHeads: 8, tiedOutput: false } as const;

test('use_more_bits picks the first and last eighth of the layers and every third layer between (32 layers: 16 of them)', () => {
  const more = Array.from({ length: 32 }, (_, i) => i).filter((i) => useMoreBits(i, 32));
  assert.deepEqual(more, [0, 1, 2, 3, 6, 9, 12, 15, 18, 21, 24, 27, 28, 29, 30, 31]);
  assert.deepEqual(
    Array.from({ length: 4 }, (_, i) => useMoreBits(i, 4)),
    [false, false, true, true],
  );
});

test('Q4_K_M: attn_v and ffn_down Q6_K in the use_more_bits layers, output Q6_K, token_embd and the rest Q4_K', () => {
  const t = (name: string, ne0 = 4096) => GgmlType[tensorType('q4_k_m', name, ne0, llama8B).type];
  assert.equal(t('output.weight'), 'Q6_K');
  assert.equal(t('token_embd.weight'), 'Q4_K');
  assert.equal(t('blk.0.attn_v.weight'), 'Q6_K');
  assert.equal(t('blk.4.attn_v.weight'), 'Q4_K');
  assert.equal(t('blk.6.attn_v.weight'), 'Q6_K');
  assert.equal(t('blk.6.ffn_down.weight', 14336), 'Q6_K');
  assert.equal(t('blk.7.ffn_down.weight', 14336), 'Q4_K');
  for (const n of ['attn_q', 'attn_k', 'attn_output', 'ffn_gate', 'ffn_up']) assert.equal(t(`blk.0.${n}.weight`), 'Q4_K', n);
});

test('Q5_K_M: the same layers get Q6_K, the rest Q5_K', () => {
  const t = (name: string) => GgmlType[tensorType('q5_k_m', name, 4096, llama8B).type];
  assert.deepEqual([t('blk.0.attn_v.weight'), t('blk.4.attn_v.weight'), t('blk.31.ffn_down.weight'), t('blk.5.ffn_down.weight'), t('output.weight'), t('token_embd.weight')], ['Q6_K', 'Q5_K', 'Q6_K', 'Q5_K', 'Q6_K', 'Q5_K']);
});

test('a 70B llama (80 layers, grouped KV) gets Q5_K instead of Q4_K for the other attn_v layers in Q4_K_M', () => {
  const m = { arch: 'llama', layers: 80, heads: 64, kvHeads: 8, tiedOutput: false } as const;
  assert.equal(tensorType('q4_k_m', 'blk.40.attn_v.weight', 8192, m).type, GgmlType.Q5_K);
  assert.equal(tensorType('q4_k_m', 'blk.0.attn_v.weight', 8192, m).type, GgmlType.Q6_K);
  assert.equal(tensorType('q4_k_m', 'blk.40.attn_v.weight', 8192, { ...m, kvHeads: 64 }).type, GgmlType.Q4_K);
});

test('pure q4_k/q5_k/q6_k put every matrix in the one type, output included', () => {
  for (const [d, want] of [
    ['q4_k', GgmlType.Q4_K],
    ['q5_k', GgmlType.Q5_K],
    ['q6_k', GgmlType.Q6_K],
  ] as const)
    for (const n of ['output.weight', 'token_embd.weight', 'blk.0.attn_v.weight', 'blk.0.ffn_down.weight']) assert.equal(tensorType(d, n, 512, llama8B).type, want, `${d} ${n}`);
});

test("rows that do not fill 256-weight blocks fall back as llama.cpp's table says: Q4_K→Q5_0, Q5_K→Q5_1, Q6_K→Q8_0, then F16", () => {
  assert.equal(fallbackType(GgmlType.Q4_K, 704), GgmlType.Q5_0);
  assert.equal(fallbackType(GgmlType.Q5_K, 704), GgmlType.Q5_1);
  assert.equal(fallbackType(GgmlType.Q6_K, 704), GgmlType.Q8_0);
  assert.equal(fallbackType(GgmlType.Q4_K, 200), GgmlType.F16);
  assert.equal(fallbackType(GgmlType.Q4_K, 512), GgmlType.Q4_K);
  const r = tensorType('q4_k_m', 'blk.3.ffn_down.weight', 704, { arch: 'llama', layers: 4, heads: 8, kvHeads: 4, tiedOutput: false });
  assert.deepEqual([GgmlType[r.wanted], GgmlType[r.type]], ['Q6_K', 'Q8_0']);
  // output.weight whose rows miss 256 is Q8_0 by the OUTPUT rule itself, so it is no fallback
  const o = tensorType('q4_k_m', 'output.weight', 192, llama8B);
  assert.deepEqual([GgmlType[o.wanted], GgmlType[o.type]], ['Q8_0', 'Q8_0']);
});

test('a K-quant none of whose matrices can take it is refused with the widths and the nearest type that fits', () => {
  const tensors = [
    { type: GgmlType.Q5_0, ne: [192, 1000] },
    { type: GgmlType.F32, ne: [192] },
  ];
  const line = kquantRefusal('q4_k', tensors, { width: 192, sliced: true, intermediate: 704, headsWidth: 192 });
  assert.equal(line, "q4_k needs matrix rows in multiples of 256, and none of this model's has them (residual width 192, MLP width 704, attention width 192); nearest valid choice: --dtype q4_0");
  assert.equal(kquantRefusal('q4_k', [{ type: GgmlType.Q4_K, ne: [256, 10] }], { width: 256, sliced: false, intermediate: 704, headsWidth: 256 }), null);
  assert.match(kquantRefusal('q6_k', tensors, { width: 320, sliced: true, intermediate: 704, headsWidth: 192 })!, /nearest valid choice: --dtype q8_0, or slice again with d rounded to a multiple of 256 \(256: --round 256\)$/);
  assert.equal(nearestFittingDtype('q5_k', 200), 'f16');
  assert.equal(kquantRefusal('q4_0', tensors, { width: 192, sliced: false, intermediate: 704, headsWidth: 192 }), null);
});
