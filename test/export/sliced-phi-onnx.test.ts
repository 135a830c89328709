// tiny-phi sliced at 25 % (parallel blocks with one shortcut each, partial rotary, gelu_new, head bias)
// exported to ONNX: perplexity within 0.1 % of the app's, greedy 30 tokens identical.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { exportOnnx } from '../../core/export/onnx';
import { verifyOnnx } from '../../core/export/verify-onnx';
import { sliceShared, tempDir } from './helpers';

const tmp = tempDir('phi');
let sliced = '';
before(async () => {
  sliced = await sliceShared('tiny-phi', join(tmp.dir, 'sliced'));
});
after(tmp.cleanup);

test('tiny-phi 25 %: ONNX export reproduces the app (ppl within 0.1 %, greedy 30 tokens identical)', async () => {
  const out = join(tmp.dir, 'onnx');
  await exportOnnx(quietContext(), { model: sliced, out });
  const v = await verifyOnnx(out, { maxWindows: 4, maxNewTokens: 30 });
  assert.ok(v.comparison!.pplRelativeDifference < 1e-3, JSON.stringify(v.comparison));
  assert.deepEqual(v.export.greedy.ids, v.inApp!.greedy.ids);
});
