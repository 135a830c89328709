// A tied model's vocabulary table is read once and shared by embedding and head (core/model/held-table.ts), in
// the dense folder and in a format-2 slice alike, so `generate` (which holds both for its whole session) keeps
// one V×D table, not two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { SafetensorsModel } from '../../core/model/safetensors';
import { quietContext } from '../../core/base/job-context';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { openAnyModel } from '../../core/slicegpt/open';
import { SlicedModelSource } from '../../core/slicegpt/sliced-source';
import { sharedModel } from '../shared';

test('a tied dense model (tiny-stories) gives embedding and head one table, equal to the stored one', async () => {
  const src = await openModel(sharedModel('tiny-stories'));
  assert.equal(src.config.tieWordEmbeddings, true);
  const e = await src.embedding();
  const h = await src.head();
  assert.equal(h.lm.weight, e.tokens);
  const st = await SafetensorsModel.create(sharedModel('tiny-stories'));
  assert.deepEqual(e.tokens.data, await st.read('model.embed_tokens.weight'));
});

test('asked for at once (embedding and head concurrently), the tied table is still read once', async () => {
  const src = await openModel(sharedModel('tiny-opt'));
  const [e, h] = await Promise.all([src.embedding(), src.head()]);
  assert.equal(h.lm.weight, e.tokens);
});

test('an untied model (tiny-llama) keeps its own head matrix apart from the embedding', async () => {
  const src = await openModel(sharedModel('tiny-llama'));
  assert.equal(src.config.tieWordEmbeddings, false);
  assert.notEqual((await src.head()).lm.weight.data, (await src.embedding()).tokens.data);
});

test("a format-2 slice of a tied model reads E once: the head's vocabulary is the embedding's table", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'held-table-'));
  try {
    const model = sharedModel('tiny-stories');
    const calibration = await loadCalibration(model, { cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0 });
    const out = join(dir, 'sliced');
    await sliceModel(quietContext(), { model, ratio: 0.25, cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, calibration });
    const src = await openAnyModel(out);
    assert.ok(src instanceof SlicedModelSource && src.tiedEmbedding);
    const e = await src.embedding();
    const h = await src.head();
    assert.equal(h.vocab, e.tokens);
    assert.equal(e.tokens.cols, src.config.hiddenSize);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
