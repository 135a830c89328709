// Greedy decoding with the KV cache: stories260K reproduces its published sample word for word, and
// for every family the cached decode path gives the same logits as a full forward of the sequence.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import { generate, generateIds } from '../../core/runtime/generate';
import { writeRandomModel, type TinyFamily } from './random-folder';
import { SHARED_MODELS } from '../shared';

const MODELS = SHARED_MODELS;

test('tiny-stories: greedy 60 tokens after "Once upon a time" equal the reference text exactly', async () => {
  const ref = JSON.parse(readFileSync(`${MODELS}/reference.json`, 'utf8'))['tiny-stories'].greedy;
  const r = await generate({ model: `${MODELS}/tiny-stories`, prompt: ref.prompt, maxNewTokens: ref.max_new_tokens });
  assert.equal(r.promptTokens, ref.input_ids.length);
  assert.equal(r.ids.length, 60);
  assert.equal(r.text, ref.text);
  assert.ok(r.text.endsWith(r.completion) && r.completion.startsWith(','));
});

for (const family of ['llama', 'opt', 'phi'] as TinyFamily[]) {
  test(`${family}: KV-cache decoding picks the same tokens as a full forward of the sequence`, async () => {
    const dir = await writeRandomModel(family, 3);
    try {
      const src = await openModel(dir);
      const runner = await createBlockRunner(src.arch);
      const prompt = [5, 9, 2, 31];
      const g = await generateIds(src, runner, prompt, { maxNewTokens: 8, stopIds: [] });
      const all = Int32Array.from([...prompt, ...g.ids]);
      const out = await forward(src, runner, [all], { logits: true });
      const V = src.config.vocabSize;
      for (let i = 0; i < g.ids.length; i++) {
        const row = out.logits!.subarray((prompt.length - 1 + i) * V, (prompt.length + i) * V);
        let best = 0;
        for (let j = 1; j < V; j++) if (row[j] > row[best]) best = j;
        assert.equal(g.ids[i], best, `token ${i}`);
      }
      await runner.dispose();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
