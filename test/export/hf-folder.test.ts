// `export --format hf`: a uniform slice as a plain dense Hugging Face folder. The app opens it as a dense model
// (no slicing_config.json) and its logits equal the slice's; config.json says hidden_size = d and head_dim; the
// family's own names (Phi-3's fused qkv_proj / gate_up_proj) are kept. A tied embedding whose final norm has a
// per-channel weight (the tiny Qwen2's random one, every real checkpoint's) cannot stay tied exactly — the weight
// is folded into the slice's head — so it is written untied, with the reason. Per-layer slices are refused,
// naming the runtimes that load them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportHfFolder } from '../../core/export/hf-folder';
import { ExportError } from '../../core/export/errors';
import { sliceUniform } from '../../core/slicegpt/uniform';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { isSlicedModelFolder } from '../../core/slicegpt/sliced-source';
import { synthModel } from '../../core/synth/synth';
import { quietContext } from '../../core/base/job-context';
import { logitsOf, relativeError, tokenWindows, withRunner } from '../slicegpt/helpers';
import { sharedData, sharedModel } from '../shared';
import { TINY_PHI3_CONFIG } from '../fixtures/phi3/make-tiny-phi3';
import { writeTinyFamily } from '../fixtures/families/tiny-family';

const TINY_QWEN2_CONFIG = join(import.meta.dirname, '..', 'fixtures', 'gguf', 'tiny-qwen2.json');
const cal = { cal: 'wikitext2', nsamples: 4, seqlen: 128, sampling: 'first' as const, seed: 0, ep: 'cpu' as const };

async function logits(folder: string, windows: Int32Array[]): Promise<Float32Array> {
  const src = await openAnyModel(folder);
  return withRunner(src, (r) => logitsOf(src, r, windows));
}

const CASES = [
  { name: 'tiny-llama', model: async () => sharedModel('tiny-llama'), arch: 'LlamaForCausalLM', tied: false, fused: false },
  {
    name: 'tiny qwen2',
    model: async (dir: string) => (await synthModel(quietContext(), { config: TINY_QWEN2_CONFIG, out: join(dir, 'qwen2'), seed: 7, tokenizer: sharedData('tokenizers', 'gpt2'), threads: 0 })).out,
    arch: 'Qwen2ForCausalLM',
    tied: false,
    untied: /final norm's weight is folded into the slice's head/,
    fused: false,
  },
  {
    name: 'tiny phi3',
    model: async (dir: string) => (await synthModel(quietContext(), { config: TINY_PHI3_CONFIG, out: join(dir, 'phi3'), seed: 7, tokenizer: sharedData('tokenizers', 'llama-2'), threads: 0 })).out,
    arch: 'Phi3ForCausalLM',
    tied: false,
    fused: true,
  },
  // head_dim 32 ≠ 64 / 4: config.json keeps the explicit head_dim; the q/k head norms go under their own names.
  { name: 'tiny qwen3', model: (dir: string) => writeTinyFamily('qwen3', join(dir, 'qwen3')), arch: 'Qwen3ForCausalLM', tied: false, fused: false, headDim: 32 },
];

for (const c of CASES) {
  test(`${c.name} sliced uniformly, exported as a Hugging Face folder: the app loads it as a dense ${c.arch} of width d whose logits equal the slice's (≤ 1e-5)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-folder-'));
    try {
      const model = await c.model(dir);
      const s = await sliceUniform(quietContext(), { ...cal, model, ratio: 0.25, round: 8, out: join(dir, 'sliced') });
      const e = await exportHfFolder(quietContext(), { model: s.out, out: join(dir, 'hf') });
      assert.equal(isSlicedModelFolder(e.out), false);
      const config = JSON.parse(readFileSync(join(e.out, 'config.json'), 'utf8'));
      const dense = JSON.parse(readFileSync(join(model, 'config.json'), 'utf8'));
      assert.deepEqual([config.architectures[0], config.hidden_size, config.head_dim, config.tie_word_embeddings], [c.arch, s.d, 'headDim' in c ? c.headDim : dense.hidden_size / dense.num_attention_heads, c.tied]);
      assert.equal(e.tiedEmbeddings, c.tied);
      if ('untied' in c && c.untied) assert.match(e.untied!, c.untied);
      else assert.equal(e.untied, null);
      const index = JSON.parse(readFileSync(join(e.out, 'model.safetensors.index.json'), 'utf8'));
      const names = Object.keys(index.weight_map);
      assert.equal(names.includes('model.layers.0.self_attn.qkv_proj.weight'), c.fused);
      assert.equal(names.includes('model.layers.0.mlp.gate_up_proj.weight'), c.fused);
      assert.equal(names.includes('lm_head.weight'), !c.tied);
      const opened = await openAnyModel(e.out);
      assert.equal(opened.config.hiddenSize, s.d);
      const windows = tokenWindows(opened.config.vocabSize, 2, 24, 5);
      const err = relativeError(await logits(e.out, windows), await logits(s.out, windows));
      assert.ok(err <= 1e-5, `relative logit error ${err}`);
      if (c.name === 'tiny-llama') {
        // tiny-llama's slice is stored in float16: an f16 folder holds the same matrices, its norms (which carry
        // the width compensation) in float32, so it computes what the slice computes.
        const h16 = await exportHfFolder(quietContext(), { model: s.out, out: join(dir, 'hf16'), dtype: 'f16' });
        const err16 = relativeError(await logits(h16.out, windows), await logits(s.out, windows));
        assert.ok(err16 <= 1e-5, `f16 folder: relative logit error ${err16}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a per-layer slice is refused for --format hf, naming the runtimes that load it (ONNX Runtime, this app)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hf-folder-refuse-'));
  try {
    const out = join(dir, 'per-layer');
    await sliceModel(quietContext(), { ...cal, nsamples: 2, model: sharedModel('tiny-llama'), ratio: 0.25, round: 8, sliceHead: false, out, resume: false });
    await assert.rejects(
      exportHfFolder(quietContext(), { model: out, out: join(dir, 'hf') }),
      (e: Error) => e instanceof ExportError && /per-layer rotations .*ONNX Runtime \(--format onnx\) and in this app \(--format safetensors\); slice the dense model with --rotation uniform/.test(e.message) && !e.message.includes('\n'),
    );
    await assert.rejects(exportHfFolder(quietContext(), { model: sharedModel('tiny-llama'), out: join(dir, 'hf') }), /dense model, already a Hugging Face folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
