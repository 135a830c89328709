// The datasets table: what a spec names, and the slice job keeping a Hub spec as a Hub spec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DATASETS, datasetSpec } from '../../core/data/datasets';
import { DatasetError } from '../../core/data/dataset';
import { sliceParams } from '../../core/jobs/kinds/slice';
import { sharedModel } from '../shared';

test('a spec names a table row (with its default split), a Hub split or a local file', () => {
  assert.deepEqual(datasetSpec('wikitext2'), { kind: 'named', id: 'wikitext2', split: 'validation' });
  assert.deepEqual(datasetSpec('wikitext2:test'), { kind: 'named', id: 'wikitext2', split: 'test' });
  assert.deepEqual(datasetSpec('alpaca'), { kind: 'named', id: 'alpaca', split: 'train' });
  assert.deepEqual(datasetSpec('hub:wikitext:wikitext-2-raw-v1:validation'), { kind: 'hub', dataset: 'wikitext', config: 'wikitext-2-raw-v1', split: 'validation' });
  assert.deepEqual(datasetSpec('hub:ptb_text_only:test'), { kind: 'hub', dataset: 'ptb_text_only', split: 'test' });
  assert.deepEqual(datasetSpec('notes/wikitext2:train.txt'), { kind: 'file', path: 'notes/wikitext2:train.txt' });
  assert.throws(() => datasetSpec('hub:justaname'), DatasetError);
  for (const d of DATASETS) assert.equal(datasetSpec(d.id).kind, 'named');
});

test('the slice job keeps a Hub calibration spec as it is and resolves only file paths', () => {
  const model = sharedModel('tiny-llama');
  const hub = sliceParams.check({ model, ratio: 0.25, cal: 'hub:wikitext:wikitext-2-raw-v1:validation' }, 'params');
  assert.equal(hub.cal, 'hub:wikitext:wikitext-2-raw-v1:validation');
  const named = sliceParams.check({ model, ratio: 0.25, cal: 'alpaca' }, 'params');
  assert.equal(named.cal, 'alpaca');
  const file = sliceParams.check({ model, ratio: 0.25, cal: 'cal.txt' }, 'params');
  assert.equal(file.cal, `${process.cwd()}/cal.txt`);
});
