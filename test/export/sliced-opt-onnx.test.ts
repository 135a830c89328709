// tiny-opt sliced at 25 % (LayerNorm fused away, learned positions, ReLU, biases, tied head) exported to
// ONNX and run as a plain onnxruntime session: perplexity within 0.1 % of the app's, greedy 30 identical;
// the tied embedding table is stored once in the export as in the slice.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { exportOnnx } from '../../core/export/onnx';
import { verifyOnnx } from '../../core/export/verify-onnx';
import { ModelProto } from '../../core/onnx/proto';
import { sliceShared, tempDir } from './helpers';

const tmp = tempDir('opt');
let sliced = '';
before(async () => {
  sliced = await sliceShared('tiny-opt', join(tmp.dir, 'sliced'));
});
after(tmp.cleanup);

test('tiny-opt 25 %: ONNX export reproduces the app (ppl within 0.1 %, greedy 30 tokens identical)', async () => {
  const out = join(tmp.dir, 'onnx');
  await exportOnnx(quietContext(), { model: sliced, out });
  const v = await verifyOnnx(out, { maxWindows: 4, maxNewTokens: 30 });
  assert.ok(v.comparison!.pplRelativeDifference < 1e-3, JSON.stringify(v.comparison));
  assert.deepEqual(v.export.greedy.ids, v.inApp!.greedy.ids);
  assert.equal(v.export.greedy.ids.length, 30);
  // OPT has no onnxruntime-genai type of its own: the generic decoder type runs the same interface.
  assert.equal(JSON.parse(readFileSync(join(out, 'genai_config.json'), 'utf8')).model.type, 'decoder');
  // The tied embedding is one initializer, read by the embedding and the head (sliced-folder format 2).
  const graph = (ModelProto.toObject(ModelProto.decode(readFileSync(join(out, 'model.onnx'))), { longs: Number }) as { graph: { initializer: { name: string; dims?: number[] }[] } }).graph;
  const vocabSized = graph.initializer.filter((t) => t.dims?.length === 2 && t.dims[0] === 4096).map((t) => `${t.name} ${t.dims!.join('×')}`);
  assert.deepEqual(vocabSized, ['embed/tokens 4096×256']);
});
