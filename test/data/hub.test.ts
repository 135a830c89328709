// The Hub path can only be exercised here offline: an unreachable server gives the "what to do" error,
// and a split already in the cache is served without any network access.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hubDataset, hubCachePath, HubUnavailableError } from '../../core/data/hub';

// A closed local port: fails the same way with or without internet access.
const unreachable = 'http://127.0.0.1:9';

test('offline with nothing cached: a one-line error that says to go online or use a local file', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hub-'));
  await assert.rejects(
    hubDataset({ dataset: 'wikitext', config: 'wikitext-2-raw-v1', split: 'validation' }, { cacheDir, server: unreachable }),
    (e: Error) =>
      e instanceof HubUnavailableError &&
      !e.message.includes('\n') &&
      /wikitext\/wikitext-2-raw-v1\/validation/.test(e.message) &&
      /connect to the internet/.test(e.message) &&
      /local \.txt\/\.jsonl dataset/.test(e.message),
  );
});

test('a cached split is read from the data dir without the network', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hub-'));
  const req = { dataset: 'tatsu-lab/alpaca', split: 'train' };
  const path = hubCachePath(req, cacheDir);
  assert.ok(path.startsWith(cacheDir));
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, ['first doc\nwith a line break', 'second'].map((r) => JSON.stringify(r)).join('\n') + '\n');
  const ds = await hubDataset(req, { cacheDir, server: unreachable });
  assert.deepEqual(ds.rows, ['first doc\nwith a line break', 'second']);
  assert.equal(ds.name, 'tatsu-lab/alpaca/train');
});
