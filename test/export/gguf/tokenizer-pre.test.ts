// tokenizer.ggml.pre follows the tokenizer's own split regex, as convert_hf_to_gguf.py names them: Qwen2/2.5/3's
// (single digits) → "qwen2", Llama-3's (digits in threes) → "llama-bpe" with ignore_merges, "smaug-bpe" without,
// plain GPT-2 byte-level BPE → "gpt-2".
// No Qwen or Llama-3 tokenizer is shared: tiny-opt's GPT-2 vocabulary wears each pre-tokenizer.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tokenizerMetadata } from '../../../core/export/gguf/tokenizer';
import { LLAMA3_SPLIT, withSplitPreTokenizer } from '../../../bench/lib/fuzz/seeds';
import { sharedModel } from '../../shared';

const QWEN2_SPLIT = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const dir = mkdtempSync(join(tmpdir(), 'ss-gguf-pre-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gpt2 = JSON.parse(readFileSync(join(sharedModel('tiny-opt'), 'tokenizer.json'), 'utf8')) as Record<string, unknown> & { model: Record<string, unknown> };
const ids = { bosTokenId: null, eosTokenId: null, padTokenId: null };

test('GGUF tokenizer metadata: a Qwen2-style split regex is pre "qwen2", a Llama-3-style one "llama-bpe" (ignore_merges) or "smaug-bpe" (merges only), plain byte-level "gpt-2"', async () => {
  const vocab = Object.keys(gpt2.model.vocab as Record<string, number>).length;
  for (const [name, json, pre] of [
    ['qwen2', withSplitPreTokenizer(gpt2, QWEN2_SPLIT), 'qwen2'],
    ['llama3', { ...withSplitPreTokenizer(gpt2, LLAMA3_SPLIT), model: { ...gpt2.model, ignore_merges: true } }, 'llama-bpe'],
    ['llama3-merges-only', withSplitPreTokenizer(gpt2, LLAMA3_SPLIT), 'smaug-bpe'],
    ['gpt2', gpt2, 'gpt-2'],
  ] as const) {
    const folder = join(dir, name);
    mkdirSync(folder);
    writeFileSync(join(folder, 'tokenizer.json'), JSON.stringify(json));
    const t = await tokenizerMetadata(folder, vocab + 8, ids);
    assert.deepEqual([t.model, t.pre], ['gpt2', pre], name);
  }
});
