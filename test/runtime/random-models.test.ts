// Random-weight tiny models of every family, written as real HF folders, run through the ONNX block
// graphs and compared with a plain float64 JS forward of the same weights.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import { writeRandomModel, type TinyFamily } from './random-folder';
import { referenceLogits, logsumexp } from './reference-forward';

const FAMILIES: TinyFamily[] = ['llama', 'qwen2', 'opt', 'phi'];

for (const family of FAMILIES) {
  test(`${family}: ONNX block graphs match a float64 reference forward on random weights`, async () => {
    const dir = await writeRandomModel(family);
    try {
      const src = await openModel(dir);
      const runner = await createBlockRunner(src.arch);
      const seq = 11;
      const windows = [0, 1].map((w) => Int32Array.from({ length: seq }, (_, i) => (i * 7 + w * 13 + 3) % src.config.vocabSize));
      const out = await forward(src, runner, windows, { batch: 2, logits: true });
      const V = src.config.vocabSize;
      let maxErr = 0;
      let maxLse = 0;
      for (let w = 0; w < windows.length; w++) {
        const ref = await referenceLogits(src, Array.from(windows[w]));
        for (let i = 0; i < seq; i++) {
          const row = out.logits!.subarray((w * seq + i) * V, (w * seq + i + 1) * V);
          for (let j = 0; j < V; j++) maxErr = Math.max(maxErr, Math.abs(row[j] - ref[i][j]));
          maxLse = Math.max(maxLse, Math.abs(out.logsumexp[w * seq + i] - logsumexp(ref[i])));
        }
      }
      assert.ok(maxErr < 1e-4, `max |logit − reference| = ${maxErr}`);
      assert.ok(maxLse < 1e-4, `max |logsumexp − reference| = ${maxLse}`);
      await runner.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
