// Reading small files users hand us (core/model/input-file.ts): regular files only, a size limit, and JSON
// errors that say where but never quote the text (that would let an API caller read any file's first bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readJsonObject, readJsonObjectSync, readInputText } from '../../core/model/input-file';

class UserError extends Error {
  override name = 'UserError';
}
const dir = mkdtempSync(join(tmpdir(), 'ss-input-'));

test('a JSON error gives the position, never the text', async () => {
  const file = join(dir, 'config.json');
  writeFileSync(file, 'root:x:0:0:root:/root:/bin/bash\n');
  await assert.rejects(readJsonObject(file, 1024, UserError), (e: Error) => e instanceof UserError && e.message === 'config.json is not valid JSON');
  writeFileSync(file, '{"a": 1, "secret-key": nope}');
  assert.throws(
    () => readJsonObjectSync(file, 1024, UserError),
    (e: Error) => e instanceof UserError && !e.message.includes('secret') && !e.message.includes('nope'),
  );
  writeFileSync(file, '{"a": ');
  assert.throws(() => readJsonObjectSync(file, 1024, UserError), /config\.json is not valid JSON \(it ends too early\)/);
  writeFileSync(file, '[1, 2]');
  assert.throws(() => readJsonObjectSync(file, 1024, UserError), /config\.json is not a JSON object/);
});

test('folders and oversized files are refused with the limit named', async () => {
  mkdirSync(join(dir, 'folder.json'));
  await assert.rejects(readInputText(join(dir, 'folder.json'), 1024, UserError), /folder\.json is not a regular file/);
  writeFileSync(join(dir, 'big.json'), Buffer.alloc(3 * 1024 * 1024, 0x20));
  await assert.rejects(readInputText(join(dir, 'big.json'), 1024 * 1024, UserError), /big\.json is 3\.0 MiB, more than the 1 MiB/);
  await assert.rejects(readInputText(join(dir, 'missing.json'), 1024, UserError), /cannot read missing\.json: ENOENT/);
});
