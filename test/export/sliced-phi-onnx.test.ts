// tiny-phi sliced at 25 % (parallel blocks with one shortcut each, partial rotary, gelu_new, head bias)
// exported to ONNX: perplexity within 0.1 % of the app's, greedy 30 tokens identical.
import { test } from 'node:test';
import { join } from 'node:path';
import { exportReproducesApp, slicedForFile } from './helpers';

const tmp = slicedForFile('tiny-phi', 'phi');

test('tiny-phi 25 %: ONNX export reproduces the app (ppl within 0.1 %, greedy 30 tokens identical)', async () => {
  const out = join(tmp.dir, 'onnx');
  await exportReproducesApp(tmp.sliced(), out);
});
