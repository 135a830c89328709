// Issue #17, item 1: the sharded index names files; every name must be a file inside the model folder, and
// nothing of a file outside may be opened or show up in a message. (#11: a missing shard is a clear error.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listModelTensors, SafetensorsError } from '../../core/model/safetensors';

const root = mkdtempSync(join(tmpdir(), 'ss-index-'));
let n = 0;

function safetensors(header: Record<string, unknown>, data: number): Buffer {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, Buffer.alloc(data)]);
}

/** A model folder with one good shard and an index naming `shard` for a second tensor; a secret beside it. */
function folderNaming(shard: unknown): string {
  const dir = join(root, `case${n++}`);
  const model = join(dir, 'model');
  mkdirSync(model, { recursive: true });
  writeFileSync(join(model, 'a.safetensors'), safetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 8));
  writeFileSync(join(dir, 'secret.safetensors'), safetensors({ SECRET_NAME: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, 1));
  writeFileSync(join(model, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'a.safetensors', b: shard } }));
  return model;
}

/** What /etc/passwd's first 8 bytes read as a header length would print. */
const passwdNumber = (() => {
  try {
    return String(readFileSync('/etc/passwd').readBigUInt64LE(0));
  } catch {
    return 'no /etc/passwd here';
  }
})();

async function refused(model: string, pattern: RegExp): Promise<void> {
  await assert.rejects(listModelTensors(model), (e: Error) => {
    assert.ok(e instanceof SafetensorsError, `${e.name}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.doesNotMatch(e.message, /\n/);
    assert.ok(!e.message.includes('SECRET_NAME') && !e.message.includes(passwdNumber) && !e.message.includes('root:'), e.message);
    return true;
  });
}

test('a non-string shard name is a one-line SafetensorsError, not a TypeError', async () => {
  for (const bad of [5, null, true, { path: 'a.safetensors' }, ['a.safetensors'], '']) await refused(folderNaming(bad), /names a file that is not a file name/);
});

test('"." and other names of the folder itself are refused (no EISDIR)', async () => {
  for (const bad of ['.', './', '//', './.']) await refused(folderNaming(bad), /not a file inside the model folder/);
});

test('shard paths outside the model folder are never opened: traversal and absolute paths', async () => {
  await refused(folderNaming('../../../../etc/passwd'), /not a file inside the model folder/);
  await refused(folderNaming('../secret.safetensors'), /not a file inside the model folder/);
  await refused(folderNaming('sub/../../secret.safetensors'), /not a file inside the model folder/);
  await refused(folderNaming(join(root, 'secret.safetensors')), /not a file inside the model folder/);
  await refused(folderNaming('/etc/passwd'), /not a file inside the model folder/);
});

test('a shard that is a folder is refused as not a regular file', async () => {
  const model = folderNaming('sub');
  mkdirSync(join(model, 'sub'));
  await refused(model, /sub is not a regular file/);
});

test('an index naming a missing shard, or naming none, is a clear error', async () => {
  await refused(folderNaming('model-00002-of-00002.safetensors'), /shard model-00002-of-00002\.safetensors named in model\.safetensors\.index\.json is missing/);
  const model = folderNaming('a.safetensors');
  writeFileSync(join(model, 'model.safetensors.index.json'), JSON.stringify({ weight_map: {} }));
  await refused(model, /weight_map is empty/);
  writeFileSync(join(model, 'model.safetensors.index.json'), 'root:x:0:0:root:/root:/bin/bash');
  await refused(model, /is not valid JSON/);
});

test('a subfolder inside the model folder is allowed, and every tensor comes from inside', async () => {
  const model = folderNaming('parts/b.safetensors');
  mkdirSync(join(model, 'parts'));
  writeFileSync(join(model, 'parts', 'b.safetensors'), safetensors({ b: { dtype: 'F16', shape: [3], data_offsets: [0, 6] } }, 6));
  const tensors = await listModelTensors(model);
  assert.deepEqual(tensors.map((t) => t.name).sort(), ['a', 'b']);
  assert.ok(tensors.every((t) => t.file.startsWith(model)));
});
