// A llama-family model with a byte-level (GPT-2 style) BPE tokenizer goes to GGUF as tokenizer.ggml.model
// 'gpt2' with merges: llama.cpp then tokenizes WikiText-2 like transformers and scores like the app.
// (Random weights of llama shape with tiny-opt's byte-level tokenizer: no shared llama model has one.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { writeSafetensors, type TensorToWrite } from '../../core/model/safetensors-writer';
import { exportGguf } from '../../core/export/gguf/index';
import { verifyGguf } from '../../core/export/verify-gguf';
import { quietContext } from '../../core/base/job-context';
import { SHARED_MODELS } from '../shared';

const SHARED = SHARED_MODELS;

async function randomLlamaFolder(dir: string): Promise<void> {
  const D = 64,
    H = 4,
    KV = 2,
    hd = 16,
    F = 96,
    V = 4096,
    L = 2;
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: D,
      intermediate_size: F,
      num_attention_heads: H,
      num_key_value_heads: KV,
      head_dim: hd,
      num_hidden_layers: L,
      vocab_size: V,
      max_position_embeddings: 256,
      rms_norm_eps: 1e-5,
      hidden_act: 'silu',
      rope_parameters: { rope_theta: 10000, rope_type: 'default' },
      tie_word_embeddings: false,
      bos_token_id: 0,
      eos_token_id: 0,
    }),
  );
  let s = 12345;
  const r = () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32 - 0.5);
  const m = (name: string, rows: number, cols: number, scale: number): TensorToWrite => ({ name, dtype: 'F32', shape: [rows, cols], data: Float32Array.from({ length: rows * cols }, () => r() * scale) });
  const v = (name: string, n: number): TensorToWrite => ({ name, dtype: 'F32', shape: [n], data: Float32Array.from({ length: n }, () => 1 + 0.2 * r()) });
  const t: TensorToWrite[] = [m('model.embed_tokens.weight', V, D, 2), v('model.norm.weight', D), m('lm_head.weight', V, D, 0.5)];
  for (let i = 0; i < L; i++) {
    const p = `model.layers.${i}`;
    t.push(v(`${p}.input_layernorm.weight`, D), v(`${p}.post_attention_layernorm.weight`, D));
    t.push(m(`${p}.self_attn.q_proj.weight`, H * hd, D, 0.5), m(`${p}.self_attn.k_proj.weight`, KV * hd, D, 0.5), m(`${p}.self_attn.v_proj.weight`, KV * hd, D, 0.3), m(`${p}.self_attn.o_proj.weight`, D, H * hd, 0.3));
    t.push(m(`${p}.mlp.gate_proj.weight`, F, D, 0.3), m(`${p}.mlp.up_proj.weight`, F, D, 0.3), m(`${p}.mlp.down_proj.weight`, D, F, 0.3));
  }
  await writeSafetensors(join(dir, 'model.safetensors'), t, { format: 'pt' });
  for (const f of ['tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(SHARED, 'tiny-opt', f), join(dir, f));
}

test('a llama model with a byte-level BPE tokenizer exports as GGUF gpt2 BPE: same token ids in llama.cpp, perplexity within 0.5 %, same greedy ids', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'gguf-bpe-'));
  try {
    const model = join(dir, 'model');
    mkdirSync(model);
    await randomLlamaFolder(model);
    const e = await exportGguf(quietContext(), { model, dtype: 'f32', out: join(dir, 'out') });
    const info = await readGgufFileInfo(e.file, { logWarnings: false });
    const tk = (info.metadata as unknown as Record<string, any>).tokenizer.ggml;
    assert.equal(tk.model, 'gpt2');
    assert.equal(tk.pre, 'gpt-2');
    assert.equal(tk.merges[0], 'Ġ t');
    assert.equal(tk.add_bos_token, false);
    const v = await verifyGguf(e.file, { maxWindows: 2, prompt: 'The tower is', maxNewTokens: 10, compare: true });
    t.diagnostic(JSON.stringify({ llamaCpp: v.perplexity, inApp: v.inApp!.perplexity, tokenCounts: v.tokenCounts }));
    assert.equal(v.tokenCounts.llamaCpp, v.tokenCounts.ours);
    assert.ok(Math.abs(v.perplexity / v.inApp!.perplexity - 1) < 0.005, `${v.perplexity} vs ${v.inApp!.perplexity}`);
    assert.deepEqual(v.greedy.ids, v.inApp!.greedy.ids);
    assert.equal(v.greedy.llamaCppText, v.greedy.text);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
