// Parity with Hugging Face transformers 5.17 / tokenizers 0.23 (shared/data/tokenizers/reference.json):
// the whole WikiText-2 test split (rows joined with "\n\n", default special tokens) and a mixed-script
// sample, for LLaMA-2 (metaspace BPE, byte fallback), Phi-2 (byte-level BPE with whitespace added tokens),
// and GPT-2 / OPT built from vocab.json + merges.txt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { loadTokenizer } from '../../core/model/tokenizer';
import { wikitext2 } from '../../core/data/wikitext2';
import { SHARED_DATA } from '../shared';

const shared = `${SHARED_DATA}/`;
const reference = JSON.parse(readFileSync(`${shared}tokenizers/reference.json`, 'utf8')) as Record<
  string,
  {
    wikitext2_test_tokens: number;
    wikitext2_test_first32: number[];
    wikitext2_test_last8: number[];
    sample: string;
    sample_ids: number[];
    sample_roundtrip: string;
  }
>;
const rows = (await wikitext2('test', `${shared}wikitext-2-raw/wiki.test.raw`)).rows;
const loaded = new Map<string, ReturnType<typeof loadTokenizer>>();
const tokenizer = (name: string) => {
  if (!loaded.has(name)) loaded.set(name, loadTokenizer(`${shared}tokenizers/${name}`));
  return loaded.get(name)!;
};

for (const name of ['llama-2', 'phi-2', 'gpt2', 'opt']) {
  const ref = reference[name];
  test(`${name}: the mixed-script sample encodes to transformers' ids and decodes back to its text`, async () => {
    const tok = await tokenizer(name);
    const ids = tok.encode(ref.sample);
    assert.deepEqual(ids, ref.sample_ids);
    assert.equal(tok.decode(ids), ref.sample_roundtrip);
  });

  test(`${name}: WikiText-2 test encodes to transformers' token count, first 32 and last 8 ids`, async () => {
    const tok = await tokenizer(name);
    const ids = tok.encodeCorpus(rows, '\n\n');
    assert.equal(ids.length, ref.wikitext2_test_tokens);
    assert.deepEqual(ids.slice(0, 32), ref.wikitext2_test_first32);
    assert.deepEqual(ids.slice(-8), ref.wikitext2_test_last8);
  });
}

test('special token ids follow the tokenizer files (LLaMA-2 <s></s>, OPT </s> and <pad>, GPT-2 <|endoftext|>)', async () => {
  const llama = await tokenizer('llama-2');
  assert.deepEqual([llama.bosTokenId, llama.eosTokenId, llama.padTokenId, llama.vocabSize], [1, 2, null, 32000]);
  const opt = await tokenizer('opt');
  assert.deepEqual([opt.bosTokenId, opt.eosTokenId, opt.padTokenId, opt.vocabSize], [2, 2, 1, 50265]);
  const gpt2 = await tokenizer('gpt2');
  assert.deepEqual([gpt2.bosTokenId, gpt2.eosTokenId, gpt2.padTokenId, gpt2.vocabSize], [50256, 50256, null, 50257]);
  const phi = await tokenizer('phi-2');
  assert.deepEqual([phi.bosTokenId, phi.eosTokenId, phi.vocabSize], [50256, 50256, 50295]);
});

test('decode can skip special tokens', async () => {
  const llama = await tokenizer('llama-2');
  const ref = reference['llama-2'];
  assert.equal(llama.decode(ref.sample_ids, { skipSpecialTokens: true }).startsWith('Hello world!'), true);
  assert.equal(llama.decode(ref.sample_ids, { skipSpecialTokens: true }).includes('<s>'), false);
  assert.equal(llama.decode([]), '');
});
