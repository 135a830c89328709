// `synth` writes what save_pretrained writes (shards, index, config, tokenizer) and the real loading path
// reads it: inspect, perplexity and a slice run on a small synthetic folder. Its weights give the
// calibration PCA a spread spectrum, unlike i.i.d. weights.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { synthModel } from '../../core/synth/synth';
import { SynthError } from '../../core/synth/errors';
import { inspectModel } from '../../core/model/inspect';
import { openModel } from '../../core/model/source';
import { perplexity } from '../../core/runtime/perplexity';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { sharedModel } from '../shared';
import { OUTPUT_MARKER } from '../../core/files/output-marker';

const root = join(import.meta.dirname, '../..');
const tinyLlama = sharedModel('tiny-llama');
let dir: string;
let config: string;
let folder: string;

before(async () => {
  mkdirSync(join(root, 'test-output'), { recursive: true });
  dir = mkdtempSync(join(root, 'test-output', 'synth-'));
  // tiny-llama's shapes (D 256, 8 heads / 4 KV, MLP 704, vocab 4096), as a published config with 4 layers.
  config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify({ ...JSON.parse(readFileSync(join(tinyLlama, 'config.json'), 'utf8')), num_hidden_layers: 4 }));
  folder = join(dir, 'tiny');
  // 2 of 4 layers, shards of at most 4 MB: the embedding (2 MiB) and the head (2 MiB) fall in different shards.
  await synthModel(quietContext(), { config, out: folder, layers: 2, shardGb: 0.004, seed: 7, tokenizer: tinyLlama, threads: 2 });
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('synth writes save_pretrained\'s layout: numbered shards, a sorted index with total_size, the config with --layers, the tokenizer', () => {
  // The app's own output marker (core/files/output-marker.ts) is not part of save_pretrained's layout.
  assert.ok(existsSync(join(folder, OUTPUT_MARKER)));
  const files = readdirSync(folder).filter((f) => f !== OUTPUT_MARKER).sort();
  assert.deepEqual(files, ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json', 'tokenizer.json', 'tokenizer_config.json']);
  const text = readFileSync(join(folder, 'model.safetensors.index.json'), 'utf8');
  assert.ok(text.endsWith('}\n') && text.includes('\n  "metadata": {'));
  const index = JSON.parse(text) as { metadata: { total_size: number }; weight_map: Record<string, string> };
  const names = Object.keys(index.weight_map);
  assert.deepEqual(names, [...names].sort());
  assert.equal(names.length, 1 + 2 * 9 + 1 + 1);
  assert.equal(index.weight_map['model.embed_tokens.weight'], 'model-00001-of-00002.safetensors');
  assert.equal(index.weight_map['lm_head.weight'], 'model-00002-of-00002.safetensors');
  const cfg = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8'));
  assert.equal(cfg.num_hidden_layers, 2);
  assert.equal(cfg.dtype, 'bfloat16'); // tiny-llama's config is in transformers 5's layout (dtype, not torch_dtype)
  const params = 4096 * 256 * 2 + 2 * (256 * 256 * 2 + 128 * 256 * 2 + 3 * 704 * 256 + 2 * 256) + 256;
  assert.equal(index.metadata.total_size, params * 2);
});

test('a synthetic folder opens through the real loader: inspect counts its bf16 parameters, layers read with the right shapes', async () => {
  const i = await inspectModel(folder);
  const params = 4096 * 256 * 2 + 2 * (256 * 256 * 2 + 128 * 256 * 2 + 3 * 704 * 256 + 2 * 256) + 256;
  assert.equal(i.parameterCount, params);
  assert.deepEqual(i.dtypes, { BF16: params });
  const src = await openModel(folder);
  const l = await src.layer(1);
  assert.equal(l.kind, 'sequential');
  if (l.kind !== 'sequential') return;
  assert.deepEqual([l.attn.o.weight.rows, l.attn.o.weight.cols], [256, 256]);
  // norms are ~1, readers ~N(0, 0.02²)
  const norm = l.attn.norm.weight;
  assert.ok(norm);
  const mean = norm.reduce((a, v) => a + v, 0) / norm.length;
  assert.ok(Math.abs(mean - 1) < 0.01, `norm mean ${mean}`);
  const q = l.attn.q.weight.data;
  const std = Math.sqrt(q.reduce((a, v) => a + v * v, 0) / q.length);
  assert.ok(Math.abs(std - 0.02) < 0.001, `q std ${std}`);
});

test('synth is deterministic per seed: the same seed gives identical shards (generated on the calling thread or on worker threads), another seed different ones', async () => {
  const again = join(dir, 'again');
  const other = join(dir, 'other');
  await synthModel(quietContext(), { config, out: again, layers: 2, shardGb: 0.004, seed: 7, tokenizer: tinyLlama, threads: 0 });
  await synthModel(quietContext(), { config, out: other, layers: 2, shardGb: 0.004, seed: 8, tokenizer: tinyLlama });
  const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
  for (const s of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
    assert.equal(sha(join(again, s)), sha(join(folder, s)));
    assert.notEqual(sha(join(other, s)), sha(join(folder, s)));
  }
});

test('perplexity and a slice run on a synthetic folder (ppl of random weights is near the vocabulary size)', async () => {
  const r = await perplexity({ model: folder, maxWindows: 2, seqLen: 128 });
  assert.ok(r.ppl > 1000 && r.ppl < 20000, `ppl ${r.ppl}`);
  const out = join(dir, 'sliced');
  const s = await sliceModel(quietContext(), { model: folder, ratio: 0.25, cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false });
  assert.equal(s.d, 192);
  const sliced = await perplexity({ model: await openAnyModel(out), maxWindows: 2, seqLen: 128 });
  assert.ok(Number.isFinite(sliced.ppl));
});

test('f16 synthesis writes F16 tensors and a float16 config; a single shard is model.safetensors without an index', async () => {
  const out = join(dir, 'f16');
  const r = await synthModel(quietContext(), { config, out, layers: 1, dtype: 'f16', seed: 1, tokenizer: tinyLlama });
  assert.equal(r.shards, 1);
  assert.ok(readdirSync(out).includes('model.safetensors'));
  assert.ok(!readdirSync(out).includes('model.safetensors.index.json'));
  const i = await inspectModel(out);
  assert.deepEqual(Object.keys(i.dtypes), ['F16']);
  assert.equal(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).dtype, 'float16');
});

test('a tokenizer with more tokens than the model\'s vocabulary is refused before anything is written', async () => {
  const small = join(dir, 'small-vocab.json');
  writeFileSync(small, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), vocab_size: 1000 }));
  const out = join(dir, 'refused');
  await assert.rejects(synthModel(quietContext(), { config: small, out, layers: 1, tokenizer: tinyLlama }), (e: Error) => e instanceof SynthError && /4096 tokens but the model's vocabulary has 1000/.test(e.message));
  assert.ok(!readdirSync(dir).includes('refused'));
});

test('a model larger than the free disk is refused before anything is written, saying what it needs and what is free', async () => {
  // 65,536 wide × 2,000 layers ≈ 200 TB of bf16: no disk has that free.
  const huge = join(dir, 'huge.json');
  writeFileSync(huge, JSON.stringify({ ...JSON.parse(readFileSync(config, 'utf8')), hidden_size: 65536, intermediate_size: 131072, num_attention_heads: 512, num_key_value_heads: 512, head_dim: 128, num_hidden_layers: 1000 }));
  await assert.rejects(
    synthModel(quietContext(), { config: huge, out: join(dir, 'huge'), tokenizer: tinyLlama }),
    (e: Error) => e instanceof SynthError && /^not enough free disk space for .*huge: the model needs about [\d.]+ GiB, [\d.]+ GiB is free/.test(e.message),
  );
  assert.ok(!readdirSync(dir).some((f) => f.includes('huge') && !f.endsWith('.json')));
});

test('a cancelled synth stops at its next chunk and leaves no folder behind', async () => {
  const ac = new AbortController();
  const ctx = { ...quietContext(ac.signal), progress: () => ac.abort() };
  const out = join(dir, 'cancelled');
  await assert.rejects(synthModel(ctx, { config, out, layers: 2, tokenizer: tinyLlama }), (e: Error) => e.name === 'CancelledError');
  assert.ok(!readdirSync(dir).some((f) => f.includes('cancelled')));
});

for (const name of ['tiny-opt', 'tiny-phi', 'tiny-stories'] as const) {
  test(`synth of ${name}'s config writes every tensor its family's loader reads (tied head, LayerNorm biases, positions) and scores text`, async () => {
    const src = sharedModel(name);
    const out = join(dir, `family-${name}`);
    const r = await synthModel(quietContext(), { config: join(src, 'config.json'), out, layers: 1, tokenizer: src });
    const i = await inspectModel(out);
    assert.equal(i.parameterCount, r.params);
    const p = await perplexity({ model: out, maxWindows: 1, seqLen: 64 });
    assert.ok(Number.isFinite(p.ppl) && p.ppl > 1, `ppl ${p.ppl}`);
  });
}
