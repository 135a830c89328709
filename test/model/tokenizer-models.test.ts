// The shared tiny models' own tokenizers: the perplexity protocol's token count (eval_tokens in
// shared/models/reference.json) and the test-vector prompts' input_ids.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadTokenizer } from '../../core/model/tokenizer';
import { wikitext2 } from '../../core/data/wikitext2';
import { resourcePath } from '../../core/base/paths';
import { SHARED_MODELS } from '../shared';

const sharedModels = `${SHARED_MODELS}/`;
const reference = JSON.parse(readFileSync(`${sharedModels}reference.json`, 'utf8'));
const rows = (await wikitext2('test')).rows;
const loaded = new Map<string, ReturnType<typeof loadTokenizer>>();
const tokenizer = (name: string) => {
  if (!loaded.has(name)) loaded.set(name, loadTokenizer(`${sharedModels}${name}`));
  return loaded.get(name)!;
};

for (const name of ['tiny-llama', 'tiny-opt', 'tiny-phi']) {
  test(`${name}: WikiText-2 test (bundled copy) encodes to the reference eval_tokens`, async () => {
    const tok = await tokenizer(name);
    assert.equal(tok.encodeCorpus(rows).length, reference[name].eval_tokens);
  });

  test(`${name}: the test-vector prompt encodes to its input_ids`, async () => {
    const tok = await tokenizer(name);
    const { prompt, input_ids } = reference[name].vector;
    assert.deepEqual(tok.encode(prompt), input_ids);
    assert.equal(tok.decode(input_ids), prompt);
  });
}

test('tiny-stories: "Once upon a time" encodes with <s> to the greedy reference input_ids', async () => {
  const tok = await tokenizer('tiny-stories');
  const { prompt, input_ids, text } = reference['tiny-stories'].greedy;
  assert.deepEqual(tok.encode(prompt), input_ids);
  assert.equal(tok.bosTokenId, 1);
  // The reference continuation, re-encoded, decodes back to the same text.
  assert.equal(tok.decode(tok.encode(text), { skipSpecialTokens: true }), text);
});

test('the bundled demo model tokenizes like the shared tiny-llama', async () => {
  const bundled = await loadTokenizer(resourcePath('models', 'tiny-llama'));
  const { prompt, input_ids } = reference['tiny-llama'].vector;
  assert.deepEqual(bundled.encode(prompt), input_ids);
  assert.equal(bundled.vocabSize, 4096);
});
