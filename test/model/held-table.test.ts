// A tied model's vocabulary table is read once and shared by embedding and head (core/model/held-table.ts), so
// `generate` (which holds both for its whole session) keeps one V×D table, not two. The format-2 slice's side
// is in test/slicegpt/tied.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../core/model/source';
import { SafetensorsModel } from '../../core/model/safetensors';
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
