import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calibrationWindows, NotEnoughTokensError } from '../../core/data/calibration';
import { wikitext2 } from '../../core/data/wikitext2';
import { DatasetError } from '../../core/data/dataset';
import { loadTokenizer } from '../../core/model/tokenizer';
import { resourcePath } from '../../core/base/paths';
import { SHARED_MODELS } from '../shared';

const sharedModels = `${SHARED_MODELS}/`;
const validation = await wikitext2('validation');
const llama = await loadTokenizer(resourcePath('models', 'tiny-llama'));
const stories = await loadTokenizer(`${sharedModels}tiny-stories`);
const opt = await loadTokenizer(`${sharedModels}tiny-opt`);

test("'first' windows are the first nsamples × seqlen ids of the joined documents", () => {
  const w = calibrationWindows(llama, validation, { nsamples: 16, seqlen: 128, sampling: 'first' });
  assert.equal(w.ids.length, 16 * 128);
  assert.deepEqual([w.nsamples, w.seqlen], [16, 128]);
  const expected = llama.encodeCorpus(validation.rows).slice(0, 16 * 128);
  assert.deepEqual(Array.from(w.ids), expected);
});

test("'first' windows start with the BOS the tokenizer adds by default (tiny-stories <s>), once", () => {
  const w = calibrationWindows(stories, validation, { nsamples: 4, seqlen: 64, sampling: 'first' });
  assert.equal(w.ids[0], 1);
  assert.notEqual(w.ids[64], 1);
});

test('a dataset too small for nsamples × seqlen is a clear NotEnoughTokensError', () => {
  const tiny = { name: 'tiny', rows: validation.rows.slice(0, 20) };
  assert.throws(
    () => calibrationWindows(llama, tiny, { nsamples: 64, seqlen: 256, sampling: 'first' }),
    (e: Error) => e instanceof NotEnoughTokensError && /tiny has \d+ tokens, fewer than nsamples × seqlen = 64 × 256 = 16384/.test(e.message),
  );
  assert.throws(
    () => calibrationWindows(llama, tiny, { nsamples: 64, seqlen: 256, sampling: 'random' }),
    (e: Error) => e instanceof NotEnoughTokensError && /yields only \d+ random windows/.test(e.message),
  );
});

test("'random' windows are seeded: same seed same windows, another seed other windows", () => {
  const opts = { nsamples: 8, seqlen: 128, sampling: 'random' as const };
  const a = calibrationWindows(llama, validation, { ...opts, seed: 42 });
  const b = calibrationWindows(llama, validation, { ...opts, seed: 42 });
  const c = calibrationWindows(llama, validation, { ...opts, seed: 7 });
  assert.deepEqual(a.ids, b.ids);
  assert.notDeepEqual(a.ids, c.ids);
});

test("'random' windows are runs of consecutive non-empty documents joined by a blank line", () => {
  // Byte-level BPE decodes exactly, so each window's text must occur in the "\n\n"-joined documents.
  const docs = validation.rows.filter((r) => r.trim() !== '');
  const joined = docs.join('\n\n');
  const w = calibrationWindows(opt, validation, { nsamples: 6, seqlen: 96, sampling: 'random', seed: 1 });
  for (let i = 0; i < w.nsamples; i++) {
    const text = opt.decode(w.ids.subarray(i * 96, (i + 1) * 96));
    assert.ok(
      docs.some((d) => text.startsWith(d.slice(0, 20))),
      `window ${i} starts at a document`,
    );
    assert.ok(joined.includes(text), `window ${i} is a run of consecutive documents`);
  }
});

test("'random' windows get the default BOS followed by seqlen − 1 document tokens", () => {
  const w = calibrationWindows(stories, validation, { nsamples: 4, seqlen: 64, sampling: 'random', seed: 3 });
  for (let i = 0; i < 4; i++) assert.equal(w.ids[i * 64], 1);
});

test('bad sizes and sampling names are DatasetErrors', () => {
  assert.throws(() => calibrationWindows(llama, validation, { nsamples: 0, seqlen: 128, sampling: 'first' }), DatasetError);
  assert.throws(() => calibrationWindows(llama, validation, { nsamples: 2, seqlen: 1.5, sampling: 'first' }), DatasetError);
  assert.throws(() => calibrationWindows(llama, validation, { nsamples: 2, seqlen: 128, sampling: 'middle' as never }), /unknown sampling/);
});
