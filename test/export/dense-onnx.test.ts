// Dense models exported to ONNX, checked against Hugging Face's own numbers (reference.json) and the KV
// cache interface loaders use: stories260K's published sample through the cache, tiny-llama's reference
// logits, and left-padded batches (attention_mask, position_ids) agreeing with single rows.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import { quietContext } from '../../core/base/job-context';
import { exportOnnx } from '../../core/export/onnx';
import { verifyOnnx } from '../../core/export/verify-onnx';
import { MODELS, modelPath, tempDir } from './helpers';

const reference = JSON.parse(readFileSync(join(MODELS, 'reference.json'), 'utf8'));
const tmp = tempDir('dense');
let llama = '';
let session: ort.InferenceSession;
before(async () => {
  llama = join(tmp.dir, 'tiny-llama');
  await exportOnnx(quietContext(), { model: modelPath('tiny-llama'), out: llama });
  session = await ort.InferenceSession.create(join(llama, 'model.onnx'));
});
after(async () => {
  await session?.release();
  tmp.cleanup();
});

const L = 4;
const KV = 4;
const HD = 32;
const V = 4096;
const i64 = (xs: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(xs.map(BigInt)), dims);

/** One call of the exported decoder; past = null means an empty cache. */
async function run(ids: number[][], mask: number[][], pos: number[][], past: Record<string, ort.Tensor> | null) {
  const B = ids.length;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: i64(ids.flat(), [B, ids[0].length]),
    attention_mask: i64(mask.flat(), [B, mask[0].length]),
    position_ids: i64(pos.flat(), [B, pos[0].length]),
  };
  for (let i = 0; i < L; i++)
    for (const kv of ['key', 'value']) {
      feeds[`past_key_values.${i}.${kv}`] = past ? past[`present.${i}.${kv}`] : new ort.Tensor('float32', new Float32Array(0), [B, KV, 0, HD]);
    }
  return session.run(feeds);
}

const row = (logits: ort.Tensor, b: number, s: number) => {
  const [, S] = logits.dims;
  return (logits.data as Float32Array).subarray((b * S + s) * V, (b * S + s + 1) * V);
};
const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

test('dense tiny-stories: the ONNX export reproduces the published stories260K sample through the KV cache', async () => {
  const ref = reference['tiny-stories'].greedy;
  const out = join(tmp.dir, 'tiny-stories');
  await exportOnnx(quietContext(), { model: modelPath('tiny-stories'), out });
  const v = await verifyOnnx(out, { prompt: ref.prompt, maxNewTokens: ref.max_new_tokens, maxWindows: 2 });
  assert.equal(v.export.greedy.text, ref.text);
  assert.ok(v.comparison!.pplRelativeDifference < 1e-3);
});

test('dense tiny-llama: ONNX logits match Hugging Face transformers (reference vector)', async () => {
  const vec = reference['tiny-llama'].vector;
  const n = vec.input_ids.length;
  const r = await run([vec.input_ids], [new Array(n).fill(1)], [Array.from({ length: n }, (_, i) => i)], null);
  assert.deepEqual(r.logits.dims, [1, n, V]);
  const argmax = Array.from({ length: n }, (_, s) => row(r.logits, 0, s).reduce((b, x, j, a) => (x > a[b] ? j : b), 0));
  assert.deepEqual(argmax, vec.argmax_per_position);
  const first8 = Array.from(row(r.logits, 0, n - 1).subarray(0, 8));
  for (let j = 0; j < 8; j++) assert.ok(Math.abs(first8[j] - vec.logits_first8_last_token[j]) < 2e-3, `${first8} vs ${vec.logits_first8_last_token}`);
  assert.deepEqual(r['present.3.key'].dims, [1, KV, n, HD]);
});

test('dense tiny-llama: a left-padded batch decodes like each row alone (attention_mask and position_ids honoured)', async () => {
  const a = [509, 474, 346, 451, 508];
  const b = [675, 277, 279];
  // Row b is left-padded by 2; positions start at 0 at its first real token, as onnxruntime-genai and HF do.
  const batch = await run(
    [a, [0, 0, ...b]],
    [
      [1, 1, 1, 1, 1],
      [0, 0, 1, 1, 1],
    ],
    [
      [0, 1, 2, 3, 4],
      [0, 0, 0, 1, 2],
    ],
    null,
  );
  const alone = await run([b], [[1, 1, 1]], [[0, 1, 2]], null);
  const firstA = await run([a], [[1, 1, 1, 1, 1]], [[0, 1, 2, 3, 4]], null);
  assert.ok(maxAbsDiff(row(batch.logits, 1, 4), row(alone.logits, 0, 2)) < 1e-4);
  assert.ok(maxAbsDiff(row(batch.logits, 0, 4), row(firstA.logits, 0, 4)) < 1e-4);
  // One decode step each, with the cache from the prefill.
  const nb = await run(
    [[12], [34]],
    [
      [1, 1, 1, 1, 1, 1],
      [0, 0, 1, 1, 1, 1],
    ],
    [[5], [3]],
    batch,
  );
  const na = await run([[34]], [[1, 1, 1, 1]], [[3]], alone);
  const nA = await run([[12]], [[1, 1, 1, 1, 1, 1]], [[5]], firstA);
  assert.ok(maxAbsDiff(row(nb.logits, 1, 0), row(na.logits, 0, 0)) < 1e-4);
  assert.ok(maxAbsDiff(row(nb.logits, 0, 0), row(nA.logits, 0, 0)) < 1e-4);
  assert.deepEqual(nb['present.0.value'].dims, [2, KV, 6, HD]);
});
