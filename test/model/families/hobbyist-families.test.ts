// The families hobbyists run now — Llama-3.1/3.2, Qwen2.5, Qwen3, Mistral-v0.3 — from their published configs
// (test/fixtures/families/published): exact parameter counts (by hand, by the counter, by synth's layout),
// inspect and plan, and the variants Slice Studio cannot run refused by name in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, parseConfig } from '../../../core/model/config';
import { archSpec } from '../../../core/model/arch-spec';
import { countParameters } from '../../../core/model/param-count';
import { formatInspection, inspectModel, UnsupportedModelError } from '../../../core/model/inspect';

import { numel, synthTensors } from '../../../core/synth/layout';
import { GiB, parseGpuList, plan, readPlanConfig } from '../../../core/plan/index';
import { publishedConfigPath } from '../../fixtures/families/tiny-family';

const raw = (file: string): Record<string, unknown> => JSON.parse(readFileSync(publishedConfigPath(file), 'utf8'));

// By hand, per layer: q H·hd·D + k, v 2·Hkv·hd·D (+ biases) + o D·H·hd + q/k norms 2·hd (Qwen3) + MLP 3·D·F + 2 norms·D;
// then embeddings V·D (twice when untied) and the final norm D.
const PUBLISHED: { file: string; family: string; byHand: number; params: number }[] = [
  // 32 × (4096² + 2·1024·4096 + 4096² + 3·4096·14336 + 2·4096) + 2·128256·4096 + 4096
  { file: 'llama-3.1-8b.json', family: 'llama', byHand: 32 * (4096 * 4096 + 2 * 1024 * 4096 + 4096 * 4096 + 3 * 4096 * 14336 + 2 * 4096) + 2 * 128256 * 4096 + 4096, params: 8_030_261_248 },
  // tied: the embedding once. 16 × (2048² + 2·512·2048 + 2048² + 3·2048·8192 + 2·2048) + 128256·2048 + 2048
  { file: 'llama-3.2-1b.json', family: 'llama', byHand: 16 * (2048 * 2048 + 2 * 512 * 2048 + 2048 * 2048 + 3 * 2048 * 8192 + 2 * 2048) + 128256 * 2048 + 2048, params: 1_235_814_400 },
  // tied. 28 × (3072² + 2·1024·3072 + 3072² + 3·3072·8192 + 2·3072) + 128256·3072 + 3072
  { file: 'llama-3.2-3b.json', family: 'llama', byHand: 28 * (3072 * 3072 + 2 * 1024 * 3072 + 3072 * 3072 + 3 * 3072 * 8192 + 2 * 3072) + 128256 * 3072 + 3072, params: 3_212_749_824 },
  // q/k/v biases 3584 + 2·512. 28 × (3584² + 2·512·3584 + 3584 + 2·512 + 3584² + 3·3584·18944 + 2·3584) + 2·152064·3584 + 3584
  { file: 'qwen2.5-7b.json', family: 'qwen2', byHand: 28 * (3584 * 3584 + 2 * 512 * 3584 + 3584 + 2 * 512 + 3584 * 3584 + 3 * 3584 * 18944 + 2 * 3584) + 2 * 152064 * 3584 + 3584, params: 7_615_616_512 },
  // q/k norms 2·128. 36 × (4096·4096 + 2·1024·4096 + 4096·4096 + 2·128 + 3·4096·12288 + 2·4096) + 2·151936·4096 + 4096
  { file: 'qwen3-8b.json', family: 'qwen3', byHand: 36 * (4096 * 4096 + 2 * 1024 * 4096 + 4096 * 4096 + 2 * 128 + 3 * 4096 * 12288 + 2 * 4096) + 2 * 151936 * 4096 + 4096, params: 8_190_735_360 },
  // head_dim 128 ≠ 1024/16; tied. 28 × (2048·1024 + 2·1024·1024 + 1024·2048 + 2·128 + 3·1024·3072 + 2·1024) + 151936·1024 + 1024
  { file: 'qwen3-0.6b.json', family: 'qwen3', byHand: 28 * (2048 * 1024 + 2 * 1024 * 1024 + 1024 * 2048 + 2 * 128 + 3 * 1024 * 3072 + 2 * 1024) + 151936 * 1024 + 1024, params: 596_049_920 },
  // Mistral-7B-v0.1 (7,241,732,096) with the vocabulary grown 32,000 → 32,768: + 2·768·4096.
  { file: 'mistral-7b-v0.3.json', family: 'mistral', byHand: 32 * (4096 * 4096 + 2 * 1024 * 4096 + 4096 * 4096 + 3 * 4096 * 14336 + 2 * 4096) + 2 * 32768 * 4096 + 4096, params: 7_248_023_552 },
];

for (const p of PUBLISHED) {
  test(`${p.file}: ${p.params.toLocaleString('en-US')} parameters by hand, by the counter and in synth's layout`, () => {
    const c = parseConfig(raw(p.file));
    assert.equal(c.family, p.family);
    assert.equal(p.byHand, p.params);
    assert.equal(countParameters(c), p.params);
    assert.equal(
      synthTensors(c).reduce((a, t) => a + numel(t), 0),
      p.params,
    );
  });

  test(`${p.file} plans (dense f16 on one 80 GiB GPU) and inspects from its config alone`, async () => {
    const c = await readPlanConfig(publishedConfigPath(p.file));
    const pl = plan(c, parseGpuList('80', 128 * GiB), { ctx: 2048 });
    assert.equal(pl.estimate.weights.total, p.params * 2);
    assert.equal(pl.fits, true);
    const i = await inspectModel(publishedConfigPath(p.file));
    assert.deepEqual([i.family, i.parameterCount, i.supported], [p.family, p.params, true]);
  });
}

test("Llama-3.1's rope_scaling becomes the runtime's llama3 factors; Qwen3's config asks for per-head q/k norms", () => {
  const a = archSpec(parseConfig(raw('llama-3.1-8b.json')));
  assert.deepEqual(a.rope, { theta: 500000, rotaryDim: 128, llama3: { factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 } });
  const q = parseConfig(raw('qwen3-0.6b.json'));
  assert.deepEqual([q.qkNorm, q.headDim, q.attentionBias, archSpec(q).qkNorm], [true, 128, false, true]);
  assert.equal(archSpec(parseConfig(raw('qwen2.5-7b.json'))).qkNorm, undefined);
});

test('RoPE types other than default and llama3 are refused by name in one line when the model is opened', () => {
  const refused = (scaling: Record<string, unknown>, re: RegExp) =>
    assert.throws(
      () => archSpec(parseConfig({ ...raw('llama-3.1-8b.json'), rope_scaling: scaling })),
      (e: unknown) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'),
    );
  refused({ rope_type: 'yarn', factor: 4, original_max_position_embeddings: 32768 }, /RoPE type "yarn" is not supported \(Slice Studio runs "default" and "llama3"\)/);
  refused({ type: 'dynamic', factor: 2 }, /RoPE type "dynamic" is not supported/);
  refused({ rope_type: 'longrope', short_factor: [1], long_factor: [1] }, /RoPE type "longrope" is not supported/);
  refused({ rope_type: 'llama3', factor: 8, low_freq_factor: 1, original_max_position_embeddings: 8192 }, /rope_scaling "llama3" needs a positive high_freq_factor/);
  refused({ rope_type: 'llama3', factor: 8, low_freq_factor: 4, high_freq_factor: 1, original_max_position_embeddings: 8192 }, /high_freq_factor \(1\) above low_freq_factor \(4\)/);
});

test('Qwen3 variants Slice Studio cannot run are refused by name; Qwen3-MoE is not taken for Qwen3', () => {
  const refused = (patch: Record<string, unknown>, re: RegExp) =>
    assert.throws(
      () => parseConfig({ ...raw('qwen3-8b.json'), ...patch }),
      (e: unknown) => e instanceof ConfigError && re.test(e.message) && !e.message.includes('\n'),
    );
  refused({ use_sliding_window: true }, /qwen3 with use_sliding_window is not supported/);
  refused({ attention_bias: true }, /qwen3 with attention_bias is not supported/);
  refused({ model_type: 'qwen3_moe', architectures: ['Qwen3MoeForCausalLM'] }, /unsupported architecture "qwen3_moe"/);
});

test('inspect names the llama3 scaling of Llama-3.1 and says up front that a yarn config cannot be run', async () => {
  assert.match(formatInspection(await inspectModel(publishedConfigPath('llama-3.1-8b.json'))), /RoPE θ=500000 \(llama3 scaling\)/);
  const dir = mkdtempSync(join(tmpdir(), 'slice-yarn-'));
  try {
    const file = join(dir, 'qwen2.5-yarn.json');
    writeFileSync(file, JSON.stringify({ ...raw('qwen2.5-7b.json'), rope_scaling: { type: 'yarn', factor: 4, original_max_position_embeddings: 32768 } }));
    await assert.rejects(inspectModel(file), (e: unknown) => e instanceof UnsupportedModelError && /RoPE type "yarn" is not supported/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
