import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, copyFileSync, readFileSync, mkdirSync, truncateSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectModel, InspectError, UnsupportedModelError } from '../../core/model/inspect';
import { readSafetensorsHeader } from '../../core/model/safetensors';
import { sharedModel } from '../shared';

const SRC = sharedModel('tiny-llama');
const root = mkdtempSync(join(tmpdir(), 'ss-inspect-'));
let n = 0;

/** A copy of tiny-llama to break in one way. */
function copyModel(): string {
  const dir = join(root, `m${n++}`);
  mkdirSync(dir);
  for (const f of ['config.json', 'model.safetensors', 'tokenizer.json']) copyFileSync(join(SRC, f), join(dir, f));
  return dir;
}

/** Write a safetensors file from a header object and a data length. */
function writeSt(file: string, header: unknown, dataBytes: number, lenOverride?: number): void {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(lenOverride ?? h.length));
  writeFileSync(file, Buffer.concat([len, h, Buffer.alloc(dataBytes)]));
}

async function rejectsOneLine(p: Promise<unknown>, cls: typeof InspectError, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.ok(e instanceof cls, `${e.name}: ${e.message}`);
    assert.doesNotMatch(e.message, /\n/);
    assert.match(e.message, pattern);
    return true;
  });
}

test('a missing folder is a one-line InspectError that does not say the path is missing', async () => {
  await rejectsOneLine(inspectModel(join(root, 'nope')), InspectError, /nope is not a model folder or config\.json Slice Studio can open$/);
});

test('a folder without config.json gets the same answer as a missing path', async () => {
  const dir = join(root, 'empty');
  mkdirSync(dir);
  await rejectsOneLine(inspectModel(dir), InspectError, /empty is not a model folder or config\.json Slice Studio can open$/);
});

test('invalid JSON in config.json is reported as such', async () => {
  const dir = copyModel();
  writeFileSync(join(dir, 'config.json'), '{"model_type": "llama",');
  await rejectsOneLine(inspectModel(dir), InspectError, /config\.json is not valid JSON/);
  await rejectsOneLine(inspectModel(join(dir, 'config.json')), InspectError, /not valid JSON/);
});

test('an unsupported architecture is refused with the supported list, or described when allowed', async () => {
  const dir = copyModel();
  const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...cfg, model_type: 'gpt2', architectures: ['GPT2LMHeadModel'] }));
  await rejectsOneLine(inspectModel(dir), UnsupportedModelError, /unsupported architecture "gpt2".*llama, mistral, qwen2, opt, phi/);
  await rejectsOneLine(inspectModel(join(dir, 'config.json')), UnsupportedModelError, /gpt2/);
  const i = await inspectModel(dir, { allowUnsupported: true });
  assert.equal(i.supported, false);
  assert.match(i.unsupportedReason!, /gpt2/);
  assert.equal(i.config, null);
  assert.equal(i.parameterCount, 5_048_576);
});

test('a truncated safetensors file (shorter than its 8-byte length) is reported', async () => {
  const dir = copyModel();
  writeFileSync(join(dir, 'model.safetensors'), Buffer.from([1, 2, 3]));
  await rejectsOneLine(inspectModel(dir), InspectError, /model\.safetensors is truncated/);
});

test('a header length beyond the end of the file is reported', async () => {
  const dir = copyModel();
  writeSt(join(dir, 'model.safetensors'), { a: { dtype: 'F16', shape: [1], data_offsets: [0, 2] } }, 2, 5000);
  await rejectsOneLine(inspectModel(dir), InspectError, /header length 5000 runs past the end of the file/);
});

test('a corrupt (non-JSON) header is reported', async () => {
  const dir = copyModel();
  const f = join(dir, 'model.safetensors');
  const buf = readFileSync(f);
  buf.fill(0x7b, 8, 40); // "{{{{…" — the length is intact, the JSON is not
  writeFileSync(f, buf);
  await rejectsOneLine(inspectModel(dir), InspectError, /header is not valid JSON/);
});

test('an unknown dtype is reported with the tensor name', async () => {
  const dir = copyModel();
  writeSt(join(dir, 'model.safetensors'), { 'model.embed_tokens.weight': { dtype: 'Q4_K', shape: [4], data_offsets: [0, 4] } }, 4);
  await rejectsOneLine(inspectModel(dir), InspectError, /model\.embed_tokens\.weight has unknown dtype "Q4_K"/);
});

test('a truncated download (tensor data past the end) is reported', async () => {
  const dir = copyModel();
  const f = join(dir, 'model.safetensors');
  truncateSync(f, statSync(f).size - 1000);
  await rejectsOneLine(inspectModel(dir), InspectError, /past the end of the file.*truncated download/);
});

test('PyTorch-only folders and missing shards get specific messages', async () => {
  const bin = join(root, 'binonly');
  mkdirSync(bin);
  copyFileSync(join(SRC, 'config.json'), join(bin, 'config.json'));
  writeFileSync(join(bin, 'pytorch_model.bin'), 'x');
  await rejectsOneLine(inspectModel(bin), InspectError, /only PyTorch \.bin weights/);
  const sh = copyModel();
  writeFileSync(join(sh, 'model.safetensors.index.json'), JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors' } }));
  await rejectsOneLine(inspectModel(sh), InspectError, /shard model-00001-of-00002\.safetensors .* is missing/);
});

test('a file that is neither a folder nor JSON is refused with the same answer as a missing path', async () => {
  await rejectsOneLine(inspectModel(join(SRC, 'model.safetensors')), InspectError, /model\.safetensors is not a model folder or config\.json Slice Studio can open$/);
});

test('a sharded folder (index.json + two shards) counts the same parameters as the single file', async () => {
  const { tensors } = await readSafetensorsHeader(join(SRC, 'model.safetensors'));
  const src = readFileSync(join(SRC, 'model.safetensors'));
  const dir = join(root, 'sharded');
  mkdirSync(dir);
  copyFileSync(join(SRC, 'config.json'), join(dir, 'config.json'));
  const halves = [tensors.slice(0, 20), tensors.slice(20)];
  const weightMap: Record<string, string> = {};
  halves.forEach((part, k) => {
    const shard = `model-0000${k + 1}-of-00002.safetensors`;
    const header: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    let off = 0;
    for (const t of part) {
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.byteLength] };
      chunks.push(src.subarray(t.offset, t.offset + t.byteLength));
      off += t.byteLength;
      weightMap[t.name] = shard;
    }
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(join(dir, shard), Buffer.concat([len, h, ...chunks]));
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
  const i = await inspectModel(dir);
  assert.equal(i.parameterCount, 5_048_576);
  assert.deepEqual(i.warnings, []);
  assert.equal(i.tokenizer.kind, null);
});
