// synth's tensor list for the published configs: exactly the published parameter counts (so a synthetic
// 7B–70B folder is the real model's size), and huggingface_hub's shard split.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../core/model/config';
import { numel, planShards, synthTensors } from '../../core/synth/layout';
import { sharedData } from '../shared';

const configs = sharedData('configs');
const KNOWN: Record<string, number> = {
  'llama-2-7b-hf.json': 6_738_415_616,
  'llama-2-13b-hf.json': 13_015_864_320,
  'llama-2-70b-hf.json': 68_976_648_192,
  'opt-125m.json': 125_239_296,
  'opt-1.3b.json': 1_315_758_080,
  'phi-2.json': 2_779_683_840,
  'mistral-7b-v0.1.json': 7_241_732_096,
  'meta-llama-3-8b.json': 8_030_261_248,
};

for (const [file, count] of Object.entries(KNOWN)) {
  test(`synth's tensors for ${file} add up to its published ${count.toLocaleString('en-US')} parameters`, () => {
    const c = parseConfig(JSON.parse(readFileSync(join(configs, file), 'utf8')));
    assert.equal(synthTensors(c).reduce((a, t) => a + numel(t), 0), count);
  });
}

test('LLaMA-2-7B in bf16 with 5 GB shards: 3 shards named model-0000k-of-00003, none over 5·10⁹ bytes, in model order', () => {
  const c = parseConfig(JSON.parse(readFileSync(join(configs, 'llama-2-7b-hf.json'), 'utf8')));
  const shards = planShards(synthTensors(c), 2, 5e9);
  assert.deepEqual(shards.map((s) => s.file), ['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
  for (const s of shards) assert.ok(s.bytes <= 5e9);
  assert.equal(shards[0].tensors[0].name, 'model.embed_tokens.weight');
  assert.equal(shards[2].tensors.at(-1)!.name, 'lm_head.weight');
});
