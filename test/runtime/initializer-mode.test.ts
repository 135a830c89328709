// The external-data mode: block weights baked into per-block graphs (model.onnx + weights.bin),
// compiled once per weights object and released after use, must compute exactly what the
// weights-as-inputs mode computes, in a forward pass and in KV-cache decoding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import { generateIds } from '../../core/runtime/generate';
import { writeRandomModel } from './random-folder';

for (const family of ['llama', 'phi', 'opt'] as const) {
  test(`${family}: weights as external-data initializers give the same logits as weights fed as inputs`, async () => {
    const dir = await writeRandomModel(family, 5);
    try {
      const src = await openModel(dir);
      const fed = await createBlockRunner(src.arch);
      const baked = await createBlockRunner(src.arch, { weights: 'initializers', residentBlocks: 2 });
      const windows = [0, 1, 2].map((w) => Int32Array.from({ length: 10 }, (_, i) => (i * 5 + w * 17 + 1) % 64));
      const a = await forward(src, fed, windows, { batch: 2, logits: true });
      const b = await forward(src, baked, windows, { batch: 2, logits: true });
      let d = 0;
      for (let i = 0; i < a.logits!.length; i++) d = Math.max(d, Math.abs(a.logits![i] - b.logits![i]));
      assert.ok(d < 1e-5, `max difference ${d}`);
      assert.ok(baked.sessionCount <= 2, `${baked.sessionCount} block sessions resident, expected ≤ 2`);
      const residentAll = await createBlockRunner(src.arch, { weights: 'initializers', residentBlocks: 16 });
      const g1 = await generateIds(src, fed, [3, 4, 5], { maxNewTokens: 6, stopIds: [] });
      const g2 = await generateIds(src, residentAll, [3, 4, 5], { maxNewTokens: 6, stopIds: [] });
      assert.deepEqual(g2.ids, g1.ids);
      for (const r of [fed, baked, residentAll]) await r.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
