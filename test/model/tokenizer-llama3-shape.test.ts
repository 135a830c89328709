// Llama-3's tokenizer shape (tiktoken-style BPE in tokenizer.json: a Split pre-tokenizer on Llama-3's regex, then
// a regex-free ByteLevel, `ignore_merges: true`) on a byte-level vocabulary we have (tiny-opt's GPT-2 BPE): no
// Llama-3 tokenizer with reference ids is shared, so this pins the shape — Llama-3's cuts are the ones applied,
// and piecewise corpus encoding stays exactly the whole-text encoding.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../core/model/tokenizer';
import { LLAMA3_SPLIT, withSplitPreTokenizer } from '../../bench/lib/fuzz/seeds';
import { sharedData, sharedModel } from '../shared';

const dir = mkdtempSync(join(tmpdir(), 'ss-tok-llama3-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const gpt2 = JSON.parse(readFileSync(join(sharedModel('tiny-opt'), 'tokenizer.json'), 'utf8')) as Record<string, unknown> & { model: Record<string, unknown> };
writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify({ ...withSplitPreTokenizer(gpt2, LLAMA3_SPLIT), model: { ...gpt2.model, ignore_merges: true } }));

test("a Llama-3-shaped tokenizer.json cuts numbers in groups of three and contractions apart, as Llama-3's regex does", async () => {
  const tok = await loadTokenizer(dir);
  const text = "In 2024, 1234567 people's";
  const ids = tok.encode(text, { addSpecialTokens: false });
  const pieces = ids.map((id) => tok.decode([id]));
  assert.equal(pieces.join(''), text);
  // Every cut Llama-3's regex makes is a token boundary (GPT-2's own regex would keep "1234567" whole).
  let at = 0;
  const cuts = new Set(pieces.map((p) => (at += p.length)));
  for (const cut of [text.indexOf('2024') + 3, text.indexOf('1234567') + 3, text.indexOf('1234567') + 6, text.indexOf("'s")]) assert.ok(cuts.has(cut), `no token boundary at ${cut} in ${JSON.stringify(pieces)}`);
});

test('a Llama-3-shaped tokenizer encodes a corpus piecewise exactly as the joined text', async () => {
  const tok = await loadTokenizer(dir);
  const rows = readFileSync(sharedData('wikitext-2-raw', 'wiki.test.raw'), 'utf8').split('\n').slice(0, 400);
  const joined = rows.join('\n');
  assert.ok(joined.length > 10_000);
  assert.deepEqual(tok.encodeCorpus(rows, '\n', { addSpecialTokens: false }), tok.encode(joined, { addSpecialTokens: false }));
});
