import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { inspectModel, formatInspection } from '../../core/model/inspect';

import { SHARED as SHARED_DIR } from '../shared';

// ../shared next to the checkout (read-only shared assets).
const SHARED = SHARED_DIR;
const MODELS = `${SHARED}/models`;
const CONFIGS = `${SHARED}/data/configs`;

test('tiny-llama folder: exact parameter count, dtypes, dimensions and tokenizer from headers only', async () => {
  const i = await inspectModel(`${MODELS}/tiny-llama`);
  assert.equal(i.kind, 'folder');
  assert.equal(i.parameterCount, 5_048_576);
  assert.equal(i.parameterSource, 'safetensors');
  assert.deepEqual(i.dtypes, { F16: 5_048_576 });
  assert.equal(i.weightBytes, 2 * 5_048_576);
  assert.equal(i.family, 'llama');
  assert.equal(i.architecture, 'LlamaForCausalLM');
  assert.equal(i.supported, true);
  assert.deepEqual(
    { ...i.config, rope: undefined },
    {
      modelType: 'llama',
      hiddenSize: 256,
      intermediateSize: 704,
      numLayers: 4,
      numHeads: 8,
      numKvHeads: 4,
      headDim: 32,
      vocabSize: 4096,
      maxPositions: 512,
      tieWordEmbeddings: false,
      norm: 'rmsnorm',
      activation: 'silu',
      gatedMlp: true,
      parallelBlocks: false,
      rope: undefined,
      dtype: 'float16',
    },
  );
  assert.deepEqual(i.tokenizer, { kind: 'tokenizer.json', files: ['tokenizer.json', 'tokenizer_config.json'] });
  assert.ok(i.files.some((f) => f.name === 'model.safetensors' && f.bytes > 10_000_000));
  assert.deepEqual(i.warnings, []);
  assert.match(formatInspection(i), /Parameters\s+5,048,576/);
});

test('the other shared models: header counts match transformers (tied heads counted once)', async () => {
  const expected: Record<string, [number, string, string]> = {
    'tiny-opt': [4_339_712, 'opt', 'F16'],
    'tiny-phi': [5_258_752, 'phi', 'F16'],
    'tiny-stories': [260_032, 'llama', 'F32'],
  };
  for (const [name, [count, family, dtype]] of Object.entries(expected)) {
    const i = await inspectModel(`${MODELS}/${name}`);
    assert.equal(i.parameterCount, count, name);
    assert.equal(i.family, family, name);
    assert.deepEqual(Object.keys(i.dtypes), [dtype], name);
    assert.deepEqual(i.warnings, [], name);
  }
  const stories = await inspectModel(`${MODELS}/tiny-stories`);
  assert.equal(stories.config?.tieWordEmbeddings, true);
  assert.equal(stories.tokenizer.kind, 'tokenizer.json');
  assert.ok(stories.tokenizer.files.includes('tokenizer.model'));
});

test('published configs (transformers 4.x layout) give the known dense parameter counts', async () => {
  const known: Record<string, number> = {
    'llama-2-7b-hf': 6_738_415_616,
    'llama-2-13b-hf': 13_015_864_320,
    'llama-2-70b-hf': 68_976_648_192,
    'opt-125m': 125_239_296,
    'opt-1.3b': 1_315_758_080,
    'phi-2': 2_779_683_840,
    'mistral-7b-v0.1': 7_241_732_096,
    'meta-llama-3-8b': 8_030_261_248,
    'qwen2-7b': 7_615_616_512, // Qwen2-7B's model card figure
  };
  for (const [name, count] of Object.entries(known)) {
    const i = await inspectModel(`${CONFIGS}/${name}.json`);
    assert.equal(i.kind, 'config');
    assert.equal(i.name, name);
    assert.equal(i.parameterCount, count, name);
    assert.equal(i.parameterSource, 'config');
  }
  const l70 = await inspectModel(`${CONFIGS}/llama-2-70b-hf.json`);
  assert.equal(l70.config?.numKvHeads, 8);
  assert.equal(l70.config?.numLayers, 80);
  assert.deepEqual(l70.dtypes, { F16: 68_976_648_192 });
  assert.equal(l70.weightBytes, 2 * 68_976_648_192);
  const opt66 = await inspectModel(`${CONFIGS}/opt-66b.json`);
  assert.equal(opt66.family, 'opt');
  assert.equal(opt66.config?.numLayers, 64);
});

test('the formula for a bare config agrees with the header count of every shared model', async () => {
  for (const name of ['tiny-llama', 'tiny-opt', 'tiny-phi', 'tiny-stories']) {
    const folder = await inspectModel(`${MODELS}/${name}`);
    const config = await inspectModel(`${MODELS}/${name}/config.json`);
    assert.equal(config.parameterCount, folder.parameterCount, name);
    assert.equal(config.name, name);
  }
});

test('a 4.x-layout config and its 5.x twin inspect the same', async () => {
  const v5 = JSON.parse(readFileSync(`${MODELS}/tiny-llama/config.json`, 'utf8'));
  const { rope_parameters, dtype, ...rest } = v5;
  const v4 = { ...rest, rope_theta: rope_parameters.rope_theta, torch_dtype: dtype, transformers_version: '4.44.0' };
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const dir = mkdtempSync(`${(await import('node:os')).tmpdir()}/ss-v4-`);
  writeFileSync(`${dir}/tiny-llama-v4.json`, JSON.stringify(v4));
  const a = await inspectModel(`${dir}/tiny-llama-v4.json`);
  const b = await inspectModel(`${MODELS}/tiny-llama/config.json`);
  assert.deepEqual(a.config, b.config);
  assert.equal(a.parameterCount, b.parameterCount);
});
