// Issue #17, item 5: a 3 MB .txt with no whitespace used to be one 3 MB "word" for BPE (seconds, ~1 GB) and
// ignored maxTokens. Pieces are now cut at MAX_PIECE_CHARS at the latest, so maxTokens stops the encoding
// after a few pieces whatever the text looks like.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../../core/model/tokenizer';
import { MAX_PIECE_CHARS } from '../../core/model/tokenizer-pieces';
import { openDataset } from '../../core/data/open';
import { calibrationWindows } from '../../core/data/calibration';
import { SHARED_MODELS } from '../shared';

const MODELS = SHARED_MODELS;
const file = join(mkdtempSync(join(tmpdir(), 'ss-nows-')), 'one-line.txt');
writeFileSync(file, 'x'.repeat(3_000_000));

for (const model of ['tiny-stories', 'tiny-llama', 'tiny-opt']) {
  test(`${model}: maxTokens is respected on a 3 MB text without whitespace`, async () => {
    const tok = await loadTokenizer(join(MODELS, model));
    const ds = await openDataset(file);
    const ids = tok.encodeCorpus(ds.rows, '\n\n', { maxTokens: 2048 });
    // A prefix ends at a piece boundary: at most one piece (≤ MAX_PIECE_CHARS characters) past the limit.
    assert.ok(ids.length >= 2048 && ids.length <= 2048 + MAX_PIECE_CHARS, `got ${ids.length} ids`);
    const w = calibrationWindows(tok, ds, { nsamples: 8, seqlen: 256, sampling: 'first' });
    assert.equal(w.ids.length, 8 * 256);
  });
}

test('maxTokens stops early on ordinary prose too, and a huge maxTokens changes nothing', async () => {
  const tok = await loadTokenizer(join(MODELS, 'tiny-llama'));
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(400);
  assert.deepEqual(tok.encode(text), tok.encode(text, { maxTokens: 1e9 }));
  assert.ok(tok.encode(text, { maxTokens: 100 }).length < 200);
});

test('random windows ask the tokenizer only for what a window needs (maxTokens on every document)', async () => {
  const tok = await loadTokenizer(join(MODELS, 'tiny-llama'));
  const calls: Array<{ chars: number; maxTokens?: number; ids: number }> = [];
  const observed = {
    ...tok,
    vocabSize: tok.vocabSize,
    encode(text: string, opts?: { addSpecialTokens?: boolean; maxTokens?: number }) {
      const ids = tok.encode(text, opts);
      calls.push({ chars: text.length, maxTokens: opts?.maxTokens, ids: ids.length });
      return ids;
    },
  };
  const ds = await openDataset(file);
  const w = calibrationWindows(observed, ds, { nsamples: 1, seqlen: 256, sampling: 'random' });
  assert.equal(w.ids.length, 256);
  const big = calls.filter((c) => c.chars > 1_000_000);
  assert.ok(big.length > 0 && big.every((c) => c.maxTokens !== undefined && c.ids <= c.maxTokens + MAX_PIECE_CHARS), JSON.stringify(big));
});
