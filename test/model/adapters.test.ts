// openModel: HF names → canonical weights for each family, and bad folders fail with one clear line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { writeRandomModel, TINY_CONFIGS } from '../runtime/random-folder';
import { SHARED_MODELS } from '../shared';

const MODELS = SHARED_MODELS;

test('tiny-llama maps onto sequential RMSNorm/SwiGLU/GQA weights with an untied head', async () => {
  const src = await openModel(`${MODELS}/tiny-llama`);
  assert.deepEqual(src.arch, { numHeads: 8, numKvHeads: 4, headDim: 32, rope: { theta: 10000, rotaryDim: 32 }, activation: 'silu', gatedMlp: true, parallelBlocks: false });
  const l = await src.layer(3);
  assert.equal(l.kind, 'sequential');
  if (l.kind !== 'sequential') return;
  assert.equal(l.attn.norm.kind, 'rmsnorm');
  assert.equal(l.attn.norm.kind === 'rmsnorm' && l.attn.norm.divisor, 256);
  assert.deepEqual([l.attn.k.weight.rows, l.attn.k.weight.cols], [128, 256]);
  assert.deepEqual([l.mlp.gate!.weight.rows, l.mlp.down.weight.rows, l.mlp.down.weight.cols], [704, 256, 704]);
  assert.equal(l.attn.q.bias, undefined);
  const h = await src.head();
  assert.deepEqual([h.lm.weight.rows, h.lm.weight.cols], [4096, 256]);
});

test('tiny-opt has learned positions (offset 2), LayerNorm with bias, and its tied head is the embedding table itself, read once (nothing writes into either)', async () => {
  const src = await openModel(`${MODELS}/tiny-opt`);
  assert.equal(src.arch.rope, null);
  const e = await src.embedding();
  assert.equal(e.positionOffset, 2);
  assert.equal(e.positions!.rows, 514);
  const l = await src.layer(0);
  assert.ok(l.kind === 'sequential' && l.attn.norm.kind === 'layernorm' && l.mlp.gate === undefined && l.attn.o.bias);
  const h = await src.head();
  assert.equal(h.lm.weight.data, e.tokens.data);
  assert.deepEqual([h.lm.weight.rows, h.lm.weight.cols], [e.tokens.rows, e.tokens.cols]);
});

test('tiny-phi is parallel with partial rotary, gelu_new and a head bias', async () => {
  const src = await openModel(`${MODELS}/tiny-phi`);
  assert.deepEqual(src.arch.rope, { theta: 10000, rotaryDim: 12 });
  assert.equal(src.arch.activation, 'gelu_new');
  const l = await src.layer(1);
  assert.ok(l.kind === 'parallel' && l.block.attn.o.bias && l.block.mlp.up.weight.rows === 1024);
  assert.equal((await src.head()).lm.bias?.length, 4096);
});

test('qwen2 reads q/k/v biases and copies a tied head', async () => {
  const dir = await writeRandomModel('qwen2');
  try {
    const src = await openModel(dir);
    const l = await src.layer(0);
    assert.ok(l.kind === 'sequential' && l.attn.q.bias && l.attn.k.bias && l.attn.v.bias && !l.attn.o.bias);
    assert.equal((await src.head()).lm.weight.rows, 64);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad folders fail with one-line messages', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'slice-bad-'));
  const missing = await writeRandomModel('llama', 1, { omit: 'model.layers.1.mlp.up_proj.weight' });
  const gpt2 = await writeRandomModel('llama', 1, { config: { ...TINY_CONFIGS.llama, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] } });
  const noBias = await writeRandomModel('phi', 1, { omit: 'model.layers.0.self_attn.q_proj.bias' });
  const badJson = mkdtempSync(join(tmpdir(), 'slice-bad-'));
  writeFileSync(join(badJson, 'config.json'), '{ not json');
  const noWeights = mkdtempSync(join(tmpdir(), 'slice-bad-'));
  writeFileSync(join(noWeights, 'config.json'), JSON.stringify(TINY_CONFIGS.opt));
  const oneLine = (re: RegExp) => (e: Error) => re.test(e.message) && !e.message.includes('\n');
  try {
    await assert.rejects(openModel('/nonexistent/model'), oneLine(/model folder not found: \/nonexistent\/model/));
    await assert.rejects(openModel(empty), oneLine(/no config\.json in/));
    await assert.rejects(openModel(badJson), oneLine(/config\.json .* is not valid JSON/));
    await assert.rejects(openModel(noWeights), oneLine(/no model\.safetensors/));
    await assert.rejects(openModel(missing), oneLine(/tensor model\.layers\.1\.mlp\.up_proj\.weight is missing/));
    await assert.rejects(openModel(noBias), oneLine(/tensor model\.layers\.0\.self_attn\.q_proj\.bias is missing/));
    await assert.rejects(openModel(gpt2), oneLine(/unsupported architecture "gpt2"/));
    const src = await openModel(`${MODELS}/tiny-llama`);
    await assert.rejects(src.layer(4), oneLine(/layer 4 does not exist \(the model has 4\)/));
  } finally {
    for (const d of [empty, missing, gpt2, noBias, badJson, noWeights]) rmSync(d, { recursive: true, force: true });
  }
});
