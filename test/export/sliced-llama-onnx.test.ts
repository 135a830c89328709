// tiny-llama sliced at 25 % (per-layer rotations, shortcut matrices, weightless RMSNorm dividing by D),
// exported to ONNX and run as a plain onnxruntime session: protocol perplexity within 0.1 % of the app's,
// greedy 30 tokens through the KV cache identical; float16 weights stay close and halve the file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { exportOnnx } from '../../core/export/onnx';
import { verifyOnnx } from '../../core/export/verify-onnx';
import { exportReproducesApp, slicedForFile } from './helpers';

const tmp = slicedForFile('tiny-llama', 'llama');

test('tiny-llama 25 %: ONNX export reproduces the app (ppl within 0.1 %, greedy 30 tokens identical)', async () => {
  const out = join(tmp.dir, 'onnx-f32');
  const { exported, v } = await exportReproducesApp(tmp.sliced(), out);
  assert.equal(exported.sliced, true);
  for (const f of ['model.onnx', 'model.onnx.data', 'genai_config.json', 'config.json', 'tokenizer.json', 'slicing_config.json']) assert.ok(existsSync(join(out, f)), `${f} missing`);
  assert.equal(v.inApp?.source, tmp.sliced());
  assert.equal(v.export.greedy.ids.length, 30);
  assert.equal(v.export.greedy.text, v.inApp!.greedy.text);
});

test('tiny-llama 25 %: genai_config.json describes the decoder the way onnxruntime-genai reads it', () => {
  const g = JSON.parse(readFileSync(join(tmp.dir, 'onnx-f32', 'genai_config.json'), 'utf8'));
  assert.equal(g.model.type, 'llama');
  assert.equal(g.model.decoder.filename, 'model.onnx');
  assert.equal(g.model.decoder.num_hidden_layers, 4);
  assert.equal(g.model.decoder.num_key_value_heads, 4);
  assert.equal(g.model.decoder.head_size, 32);
  assert.equal(g.model.decoder.inputs.past_key_names, 'past_key_values.%d.key');
  assert.equal(g.model.decoder.outputs.present_value_names, 'present.%d.value');
  assert.equal(g.model.eos_token_id, 2);
  assert.equal(g.search.past_present_share_buffer, false);
});

test('tiny-llama 25 %: float16 weights halve the weight file and stay within 1 % of the app', async () => {
  const out = join(tmp.dir, 'onnx-f16');
  const r = await exportOnnx(quietContext(), { model: tmp.sliced(), out, dtype: 'f16' });
  const f32 = readFileSync(join(tmp.dir, 'onnx-f32', 'model.onnx.data')).byteLength;
  const f16 = r.files.find((f) => f.name === 'model.onnx.data')!.bytes;
  assert.ok(f16 < 0.6 * f32, `f16 ${f16} vs f32 ${f32}`);
  const v = await verifyOnnx(out, { maxWindows: 2, maxNewTokens: 8 });
  assert.ok(v.comparison!.pplRelativeDifference < 1e-2, JSON.stringify(v.comparison));
});
