// The Hub path can only be exercised here offline: an unreachable server gives the "what to do" error,
// and a split already in the cache is served without any network access.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { hubDataset, hubCachePath, HubUnavailableError } from '../../core/data/hub';
import { DatasetError } from '../../core/data/dataset';

// A closed local port: fails the same way with or without internet access.
const unreachable = 'http://127.0.0.1:9';

test('offline with nothing cached: a one-line error that says to go online or use a local file', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hub-'));
  await assert.rejects(
    hubDataset({ dataset: 'wikitext', config: 'wikitext-2-raw-v1', split: 'validation' }, { cacheDir, server: unreachable }),
    (e: Error) => e instanceof HubUnavailableError && !e.message.includes('\n') && /wikitext\/wikitext-2-raw-v1\/validation/.test(e.message) && /connect to the internet/.test(e.message) && /local \.txt\/\.jsonl dataset/.test(e.message),
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

// Issue #17, item 5: a damaged cache is a clear error, and the damaged file is moved aside so the next run
// downloads afresh instead of failing the same way forever.
test('a corrupt line in the cache: one-line DatasetError, the file moved to .corrupt, the next run goes to the Hub', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hub-'));
  const req = { dataset: 'tatsu-lab/alpaca', split: 'train' };
  const path = hubCachePath(req, cacheDir);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify('good row')}\n{"truncated\n${JSON.stringify('later row')}\n`);
  await assert.rejects(hubDataset(req, { cacheDir, server: unreachable }), (e: Error) => {
    assert.ok(e instanceof DatasetError && !(e instanceof HubUnavailableError), `${e.name}: ${e.message}`);
    assert.match(e.message, /the cached copy of tatsu-lab\/alpaca\/train is damaged: line 2 is not valid JSON; it was moved aside to train-text\.jsonl\.corrupt/);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  assert.equal(existsSync(path), false);
  assert.equal(existsSync(`${path}.corrupt`), true);
  await assert.rejects(hubDataset(req, { cacheDir, server: unreachable }), HubUnavailableError);
});

test('a cache line that is JSON but not a text row is damage too', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'hub-'));
  const req = { dataset: 'x/y', split: 'train' };
  const path = hubCachePath(req, cacheDir);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify('a')}\nnull\n`);
  await assert.rejects(hubDataset(req, { cacheDir, server: unreachable }), /line 2 is not a text row/);
  assert.equal(existsSync(path), false);
});
