// Qwen3's per-head q/k norms and Llama-3's rescaled RoPE in every way the runner runs a model: weights fed as
// inputs, baked into graphs (initializer mode), resident on the device (CPU EP here), and KV-cache decoding
// (RoPE tables at later positions) — all the same logits / the same greedy tokens as the plain forward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import { generateIds } from '../../core/runtime/generate';
import { writeTinyFamily } from '../fixtures/families/tiny-family';

for (const name of ['qwen3', 'llama-3.1'] as const) {
  test(`tiny ${name}: baked and resident weights give the fed mode's logits; cached decoding its greedy tokens`, async () => {
    const folder = await writeTinyFamily(name);
    const src = await openModel(folder);
    const runners = { fed: await createBlockRunner(src.arch), baked: await createBlockRunner(src.arch, { weights: 'initializers', residentBlocks: 2 }), resident: await createBlockRunner(src.arch, { resident: 'always' }) };
    try {
      const windows = [0, 1].map((w) => Int32Array.from({ length: 40 }, (_, i) => (i * 7919 + w * 104729 + 13) % 32000));
      const a = await forward(src, runners.fed, windows, { logits: true });
      for (const mode of ['baked', 'resident'] as const) {
        const b = await forward(src, runners[mode], windows, { logits: true });
        let d = 0;
        for (let i = 0; i < a.logits!.length; i++) d = Math.max(d, Math.abs(a.logits![i] - b.logits![i]));
        assert.ok(d < 1e-5, `${mode}: max difference ${d}`);
      }
      // Greedy decoding with the KV cache = argmax of a full forward over each prefix.
      const prompt = Array.from(windows[0].subarray(0, 5));
      const g = await generateIds(src, runners.fed, prompt, { maxNewTokens: 8, stopIds: [] });
      const ids = [...prompt];
      for (let step = 0; step < 8; step++) {
        const V = src.config.vocabSize;
        const out = await forward(src, runners.fed, [Int32Array.from(ids)], { logits: true });
        const row = out.logits!.subarray((ids.length - 1) * V, ids.length * V);
        let best = 0;
        for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
        ids.push(best);
      }
      assert.deepEqual(g.ids, ids.slice(prompt.length));
    } finally {
      for (const r of Object.values(runners)) await r.dispose();
      rmSync(dirname(folder), { recursive: true, force: true });
    }
  });
}
