// encode() cuts long texts into pieces (tokenizer-pieces.ts); the ids must be exactly those of one
// call of @huggingface/tokenizers on the whole text, for every tokenizer shape, including texts full of
// special tokens, whitespace runs, byte-fallback characters and literal metaspace characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { loadTokenizer } from '../../core/model/tokenizer';
import { readTokenizerFiles } from '../../core/model/tokenizer-files';
import { asTransformersLoadsIt } from '../../core/model/tokenizer-class';
import { wikitext2 } from '../../core/data/wikitext2';
import { SHARED } from '../shared';

const shared = `${SHARED}/`;
const folders: Record<string, string> = {
  'llama-2': `${shared}data/tokenizers/llama-2`,
  'phi-2': `${shared}data/tokenizers/phi-2`,
  opt: `${shared}data/tokenizers/opt`,
  'tiny-llama': `${shared}models/tiny-llama`,
  'tiny-stories': `${shared}models/tiny-stories`,
};

const rows = (await wikitext2('validation')).rows;
// ~40k characters of real text: long enough for thousands of pieces, short enough for one-call BPE.
const prose = rows.slice(0, 160).join('\n\n');
const nasty = [
  'Hello <s> world</s>  <unk>and <|endoftext|>x<|endoftext|> <pad>',
  'tabs\t\tand   spaces    here\r\nwindows line\u00a0nbsp ▁literal▁metaspace ▁ x',
  'Ünïcödé — 東京 🙂🙂 ascii <0x41> bytes <0x0A> end',
  'wordwithoutspaces'.repeat(40),
  "don't it's we're they'll I'm you've he'd 3.14159 $100 12345678 a-b_c",
  '  leading spaces\n\n\n   trailing   \n',
].join(' Then ');
const adversarial = Array.from({ length: 30 }, (_, i) => `${nasty} number ${i}`).join('\n\n');

for (const [name, folder] of Object.entries(folders)) {
  test(`${name}: piecewise encode equals one whole-text call, on prose and on adversarial text`, async () => {
    const tok = await loadTokenizer(folder);
    const { json, config } = readTokenizerFiles(folder);
    // The pipeline the app runs for the folder (transformers 5's class pipeline where it applies), in one call.
    const whole = new HfTokenizer(asTransformersLoadsIt(json, config), config);
    for (const [label, text] of [
      ['prose', prose],
      ['adversarial', adversarial],
    ]) {
      for (const add of [true, false]) {
        const expected = whole.encode(text, { add_special_tokens: add }).ids;
        assert.deepEqual(tok.encode(text, { addSpecialTokens: add }), expected, `${label}, addSpecialTokens=${add}`);
      }
    }
  });
}

test('maxTokens stops early with an exact prefix of the full encoding', async () => {
  const tok = await loadTokenizer(folders['llama-2']);
  const full = tok.encode(prose);
  const head = tok.encode(prose, { maxTokens: 1000 });
  assert.ok(head.length >= 1000 && head.length < full.length);
  assert.deepEqual(head, full.slice(0, head.length));
});

test('encodeCorpus equals encoding the joined rows, with any joiner', async () => {
  const tok = await loadTokenizer(folders['tiny-llama']);
  const some = rows.slice(0, 80);
  assert.deepEqual(tok.encodeCorpus(some), tok.encode(some.join('\n\n')));
  assert.deepEqual(tok.encodeCorpus(some, ' '), tok.encode(some.join(' ')));
});
