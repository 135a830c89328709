// Issue #11: "a shard index naming a missing file … is a clear error" — and so is a shard that lacks a tensor
// the index places in it. tiny-llama split into two shards as save_pretrained writes them; the index is
// checked against the shards' headers when the model is opened, so a slice is refused before any work
// (not at the layer that needs the tensor, hours later on a large model).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensorsHeader } from '../../core/model/safetensors';
import { isUserError } from '../../core/base/user-error';
import { openModel } from '../../core/model/source';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { quietContext } from '../../core/base/job-context';
import { sharedModel } from '../shared';

const SRC = sharedModel('tiny-llama');
const root = mkdtempSync(join(tmpdir(), 'ss-shards-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

/** tiny-llama as two shards; `drop` is left out of the second shard's file while the index still places it there. */
async function twoShards(drop?: string): Promise<string> {
  const { tensors } = await readSafetensorsHeader(join(SRC, 'model.safetensors'));
  const src = readFileSync(join(SRC, 'model.safetensors'));
  const dir = join(root, `m${n++}`);
  mkdirSync(dir);
  for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) if (existsSync(join(SRC, f))) copyFileSync(join(SRC, f), join(dir, f));
  const weightMap: Record<string, string> = {};
  [tensors.slice(0, 20), tensors.slice(20)].forEach((part, k) => {
    const shard = `model-0000${k + 1}-of-00002.safetensors`;
    const header: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    let off = 0;
    for (const t of part) {
      weightMap[t.name] = shard;
      if (t.name === drop) continue;
      header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.byteLength] };
      chunks.push(src.subarray(t.offset, t.offset + t.byteLength));
      off += t.byteLength;
    }
    const h = Buffer.from(JSON.stringify(header));
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(h.length));
    writeFileSync(join(dir, shard), Buffer.concat([len, h, ...chunks]));
  });
  writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }, null, 2));
  return dir;
}

const LAST = 'model.layers.3.mlp.down_proj.weight';

test('the intact two-shard folder opens and reads its last layer (the control)', async () => {
  const src = await openModel(await twoShards());
  const w = await src.layer(3);
  assert.equal(w.kind, 'sequential');
});

test('a shard without a tensor the index places in it is refused when the model is opened: one line naming the tensor and the shard', async () => {
  const dir = await twoShards(LAST);
  await assert.rejects(openModel(dir), (e: Error) => {
    assert.ok(isUserError(e), `${e.name}: ${e.message}`);
    assert.equal(e.message, `model.safetensors.index.json places tensor ${LAST} in shard model-00002-of-00002.safetensors, which does not hold it (incomplete download, or a shard of another checkpoint?)`);
    return true;
  });
});

test('a slice of that folder is refused before any work: no output folder is created', async () => {
  const dir = await twoShards(LAST);
  const out = join(root, 'out');
  await assert.rejects(
    sliceModel(quietContext(), { model: dir, ratio: 0.25, cal: 'wikitext2', nsamples: 2, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false }),
    (e: Error) => isUserError(e) && e.message.includes(`tensor ${LAST} in shard model-00002-of-00002.safetensors`) && !e.message.includes('\n'),
  );
  assert.equal(existsSync(out), false);
});
