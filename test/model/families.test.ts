// The families table: one row per family, names derived from the row, and no silent fallback to another family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FAMILIES, family } from '../../core/model/families/index';
import { ConfigError, detectFamily, parseConfig } from '../../core/model/config';
import { tensorNames } from '../../core/slicegpt/sliced-source';
import { TINY_CONFIGS } from '../runtime/random-folder';

test('every family row keeps all its layer tensors under its layer prefix (the sliced format relies on it)', () => {
  for (const f of FAMILIES) {
    const c = parseConfig({ ...TINY_CONFIGS.llama, ffn_dim: 48, model_type: f.id });
    const spec = f.adapter(c);
    const { kind, ...names } = spec.layer;
    assert.ok(kind === 'sequential' || kind === 'parallel');
    for (const [key, n] of Object.entries(names)) assert.ok(n.p.startsWith(`${spec.layers}.`), `${f.id}.${key}: ${n.p} is not under ${spec.layers}`);
  }
});

test('a family no row has is a one-line ConfigError, for the table and for sliced tensor names alike', () => {
  assert.throws(
    () => family('gpt_neox'),
    (e: unknown) => e instanceof ConfigError && /unknown model family "gpt_neox": Slice Studio supports llama, mistral, qwen2, opt, phi/.test(e.message) && !e.message.includes('\n'),
  );
  const c = { ...parseConfig(TINY_CONFIGS.llama), family: 'gpt_neox' };
  assert.throws(() => tensorNames(c), ConfigError);
});

test('a family is found by model_type or by its architectures prefix, in any case', () => {
  assert.equal(detectFamily({ model_type: 'Qwen2' }), 'qwen2');
  assert.equal(detectFamily({ architectures: ['MistralForCausalLM'] }), 'mistral');
  assert.equal(detectFamily({ model_type: 'custom', architectures: ['optforcausallm'] }), 'opt');
  assert.throws(() => detectFamily({ architectures: ['GPTNeoXForCausalLM'] }), /unsupported architecture "GPTNeoXForCausalLM"/);
});

test('sliced tensor names come from the adapter: opt keeps positions and fc1/fc2, llama its gate', () => {
  const opt = tensorNames(parseConfig(TINY_CONFIGS.opt));
  assert.deepEqual([opt.positions, opt.layer(2), opt.o, opt.gate, opt.up, opt.head], ['model.decoder.embed_positions.weight', 'model.decoder.layers.2', 'self_attn.out_proj', undefined, 'fc1', 'lm_head']);
  const llama = tensorNames(parseConfig(TINY_CONFIGS.llama));
  assert.deepEqual([llama.positions, llama.layer(0), llama.q, llama.gate, llama.down], [undefined, 'model.layers.0', 'self_attn.q_proj', 'mlp.gate_proj', 'mlp.down_proj']);
  const phi = tensorNames(parseConfig(TINY_CONFIGS.phi));
  assert.deepEqual([phi.o, phi.up], ['self_attn.dense', 'mlp.fc1']);
});
