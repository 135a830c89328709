import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '../../core/data/open';
import { DatasetError } from '../../core/data/dataset';
import { HubUnavailableError } from '../../core/data/hub';

test('dataset names resolve to the bundled splits, Alpaca and local files', async () => {
  assert.equal((await openDataset('wikitext2')).name, 'wikitext2/validation');
  assert.equal((await openDataset('wikitext2:test')).rows.length, 4358);
  assert.equal((await openDataset('alpaca')).rows.length, 5000);
  const dir = mkdtempSync(join(tmpdir(), 'open-'));
  writeFileSync(join(dir, 'my.txt'), 'one\n\ntwo\n');
  assert.deepEqual((await openDataset(join(dir, 'my.txt'))).rows, ['one', 'two']);
});

test('hub: names parse into dataset, config and split; malformed ones are DatasetErrors', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'open-hub-'));
  await assert.rejects(openDataset('hub:wikitext:wikitext-2-raw-v1:validation', { hub: { cacheDir, server: 'http://127.0.0.1:9' } }), (e: Error) => e instanceof HubUnavailableError && e.message.includes('wikitext/wikitext-2-raw-v1/validation'));
  await assert.rejects(openDataset('hub:justaname'), (e: Error) => e instanceof DatasetError && /hub:<dataset id>/.test(e.message));
});
