// The planner's per-tensor GGUF types for published configs are the exporter's (its tensor list, no file
// written) and llama.cpp's (src/llama-quant.cpp llama_tensor_get_type_impl at 007dbbf; LLM_TYPE_70B from
// src/models/<arch>.cpp load_arch_hparams): Q4_K_M gives attn_v Q6_K in the use_more_bits layers and, in a
// model llama.cpp types 70B, Q5_K in the others; ffn_down Q6_K in the use_more_bits layers; output Q6_K.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GgmlType } from '../../core/export/gguf/constants';
import { isLlamaCpp70B } from '../../core/plan/gguf-types';
import type { ModelConfig } from '../../core/model/config';
import { published } from './configs';
import { compare, fixture } from './gguf-compare';

const withLayers = (c: ModelConfig, layers: number, kvHeads = c.numKvHeads): ModelConfig => ({ ...c, numLayers: layers, numKvHeads: kvHeads });

test('llama.cpp types a model 70B per architecture: llama with 80 layers and grouped KV heads, qwen2 with 80 layers, never qwen3 or phi3', () => {
  assert.equal(isLlamaCpp70B({ arch: 'llama', layers: 80, heads: 64, kvHeads: 8 }), true);
  assert.equal(isLlamaCpp70B({ arch: 'llama', layers: 80, heads: 64, kvHeads: 64 }), false, 'LLaMA-65B: 80 layers, no GQA');
  assert.equal(isLlamaCpp70B({ arch: 'llama', layers: 32, heads: 32, kvHeads: 8 }), false);
  assert.equal(isLlamaCpp70B({ arch: 'qwen2', layers: 80, heads: 64, kvHeads: 64 }), true, 'qwen2: case 80 → 70B whatever the heads');
  assert.equal(isLlamaCpp70B({ arch: 'qwen3', layers: 80, heads: 64, kvHeads: 8 }), false);
  assert.equal(isLlamaCpp70B({ arch: 'phi3', layers: 80, heads: 64, kvHeads: 8 }), false);
});

test('Llama-2-70B Q4_K_M: attn_v Q6_K in the 40 use_more_bits layers and Q5_K in the other 40, ffn_down Q6_K/Q4_K 40/40, output Q6_K — planned as exported, byte for byte', (t) => {
  const c = published('llama-2-70b-hf');
  const { types, byName, exportedBytes } = compare(c, 'q4_k_m', { width: c.hiddenSize, sliced: false });
  assert.deepEqual(types('.attn_v.weight'), { Q6_K: 40, Q5_K: 40 });
  assert.deepEqual(types('.ffn_down.weight'), { Q6_K: 40, Q4_K: 40 });
  for (const n of ['.attn_q.weight', '.attn_k.weight', '.attn_output.weight', '.ffn_gate.weight', '.ffn_up.weight']) assert.deepEqual(types(n), { Q4_K: 80 }, n);
  assert.equal(GgmlType[byName.get('output.weight')!.type], 'Q6_K');
  assert.equal(GgmlType[byName.get('token_embd.weight')!.type], 'Q4_K');
  assert.equal(GgmlType[byName.get('blk.10.attn_v.weight')!.type], 'Q5_K');
  assert.equal(GgmlType[byName.get('blk.12.attn_v.weight')!.type], 'Q6_K');
  t.diagnostic(`Llama-2-70B Q4_K_M: ${exportedBytes} tensor bytes (${((exportedBytes * 8) / 68_976_648_192).toFixed(3)} bits per weight)`);
});

test('Llama-2-70B Q5_K_M keeps Q5_K in the other attn_v layers (the 70B rule only lifts Q3_K/Q4_K)', () => {
  const { types } = compare(published('llama-2-70b-hf'), 'q5_k_m', { width: 8192, sliced: false });
  assert.deepEqual(types('.attn_v.weight'), { Q6_K: 40, Q5_K: 40 });
  assert.deepEqual(types('.ffn_down.weight'), { Q6_K: 40, Q5_K: 40 });
});

test('a uniform slice of Llama-2-70B to d = 6144 is still typed 70B (80 layers, grouped KV): attn_v never Q4_K', () => {
  const { types } = compare(published('llama-2-70b-hf'), 'q4_k_m', { width: 6144, sliced: true });
  assert.deepEqual(types('.attn_v.weight'), { Q6_K: 40, Q5_K: 40 });
});

test('an 80-layer llama without grouped KV (LLaMA-65B-like) keeps Q4_K attn_v outside use_more_bits; an 80-layer qwen2 gets Q5_K', () => {
  const mha = compare(withLayers(published('llama-2-70b-hf'), 80, 64), 'q4_k_m', { width: 8192, sliced: false });
  assert.deepEqual(mha.types('.attn_v.weight'), { Q6_K: 40, Q4_K: 40 });
  const qwen = withLayers(fixture('qwen2.5-7b.json'), 80);
  const q = compare(qwen, 'q4_k_m', { width: qwen.hiddenSize, sliced: false });
  assert.deepEqual(q.types('.attn_v.weight'), { Q6_K: 40, Q5_K: 40 });
});

test('Llama-3.1-8B Q4_K_M: attn_v and ffn_down Q6_K in 16 of 32 layers and Q4_K in the rest, rope_freqs.weight F32 — planned as exported, byte for byte', () => {
  const c = fixture('llama-3.1-8b.json');
  const { types, byName } = compare(c, 'q4_k_m', { width: c.hiddenSize, sliced: false });
  assert.deepEqual(types('.attn_v.weight'), { Q6_K: 16, Q4_K: 16 });
  assert.deepEqual(types('.ffn_down.weight'), { Q6_K: 16, Q4_K: 16 });
  assert.equal(GgmlType[byName.get('rope_freqs.weight')!.type], 'F32');
  assert.deepEqual(byName.get('rope_freqs.weight')!.ne, [64]);
});

test('Llama-3.2-1B (tied) Q4_K_M: no output.weight, token_embd Q6_K by the output rule — planned as exported', () => {
  const c = fixture('llama-3.2-1b.json');
  assert.equal(c.tieWordEmbeddings, true);
  const { byName } = compare(c, 'q4_k_m', { width: c.hiddenSize, sliced: false });
  assert.equal(byName.has('output.weight'), false);
  assert.equal(GgmlType[byName.get('token_embd.weight')!.type], 'Q6_K');
});
