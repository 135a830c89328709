// A tokenizer folder written by transformers 5 is encoded the way transformers 5 reads it back (its
// class's pipeline), not by tokenizer.json's converted SentencePiece pipeline; transformers 4 folders
// keep tokenizer.json as is.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../core/model/tokenizer';
import { asTransformersLoadsIt } from '../../core/model/tokenizer-class';
import { readTokenizerFiles } from '../../core/model/tokenizer-files';
import { wikitext2TestText } from '../../core/data/wikitext2';
import { sharedModel, sharedData } from '../shared';

test('tiny-stories: WikiText-2 test encodes to the 818,003 ids transformers 5 gives (one ▁ before the leading "\\n")', async () => {
  const tok = await loadTokenizer(sharedModel('tiny-stories'));
  const ids = tok.encode(await wikitext2TestText());
  // Measured with the Rust `tokenizers` 0.23.2 library on the LlamaTokenizer class pipeline; tokenizer.json
  // read literally gives 818,004 ids starting 1, 410, 410, 13 (two ▁: Prepend does not look at the text).
  assert.equal(ids.length, 818_003);
  assert.deepEqual(ids.slice(0, 8), [1, 410, 13, 13, 13, 410, 64, 410]);
});

test('tiny-stories: a text without a leading space still gets its word-start ▁; a leading space is not doubled', async () => {
  const tok = await loadTokenizer(sharedModel('tiny-stories'));
  const plain = tok.encode('Once upon a time', { addSpecialTokens: false });
  const spaced = tok.encode(' Once upon a time', { addSpecialTokens: false });
  assert.deepEqual(spaced, plain);
  assert.equal(tok.decode(plain), 'Once upon a time');
});

test('the class pipeline applies only to transformers 5 LlamaTokenizer folders; legacy and add_prefix_space pick the prepend scheme', () => {
  const { json, config } = readTokenizerFiles(sharedModel('tiny-stories'));
  assert.equal(config.backend, 'tokenizers');
  const v5 = asTransformersLoadsIt(json, config);
  assert.equal(v5.normalizer, null);
  assert.deepEqual(v5.pre_tokenizer, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: false });
  assert.equal(asTransformersLoadsIt(json, { ...config, legacy: true }).pre_tokenizer?.prepend_scheme, 'always');
  assert.equal(asTransformersLoadsIt(json, { ...config, add_prefix_space: false }).pre_tokenizer?.prepend_scheme, 'never');
  // A transformers 4 folder (no backend key): tokenizer.json as written.
  const llama2 = readTokenizerFiles(sharedData('tokenizers', 'llama-2'));
  assert.equal(llama2.config.backend, undefined);
  assert.equal(asTransformersLoadsIt(llama2.json, llama2.config), llama2.json);
  // Another class saved by transformers 5: untouched.
  const tinyLlama = readTokenizerFiles(sharedModel('tiny-llama'));
  assert.equal(asTransformersLoadsIt(tinyLlama.json, tinyLlama.config), tinyLlama.json);
});
