// The safetensors export: the sliced folder copied with a README that documents it; --dtype f16 rewrites
// the weights and shortcuts into a folder the app still opens and scores the same.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { exportSafetensors } from '../../core/export/safetensors';
import { ExportError } from '../../core/export/errors';
import { readSafetensorsHeader } from '../../core/model/safetensors';
import { openAnyModel } from '../../core/slicegpt/open';
import { perplexity } from '../../core/runtime/perplexity';
import { modelPath, sliceShared, tempDir } from './helpers';
import { OUTPUT_MARKER } from '../../core/files/output-marker';

const tmp = tempDir('st');
let sliced = '';
before(async () => {
  // Written in float32 (slices keep the source's float16 by default) so the f16 rewrite has something to halve.
  sliced = await sliceShared('tiny-opt', join(tmp.dir, 'sliced'), 0.25, 'float32');
});
after(tmp.cleanup);

const ids = Array.from({ length: 512 }, (_, i) => (i * 7919) % 4000);

test('safetensors export copies the sliced folder byte for byte and adds a README naming every slicing_config field', async () => {
  const out = join(tmp.dir, 'copy');
  const r = await exportSafetensors(quietContext(), { model: sliced, out });
  // Every file of the model is copied byte for byte; the app's own output marker is each folder's own.
  for (const f of readdirSync(sliced)) if (f !== OUTPUT_MARKER) assert.deepEqual(readFileSync(join(out, f)), readFileSync(join(sliced, f)), f);
  assert.equal(JSON.parse(readFileSync(join(out, OUTPUT_MARKER), 'utf8')).what, 'export');
  const readme = readFileSync(join(out, 'README.md'), 'utf8');
  for (const field of Object.keys(JSON.parse(readFileSync(join(sliced, 'slicing_config.json'), 'utf8')))) assert.ok(readme.includes(`\`${field}\``), field);
  assert.match(readme, /attn_shortcut_Q/);
  assert.match(readme, /load_sliced_model/);
  assert.match(readme, /cannot load/);
  assert.ok(r.files.some((f) => f.name === 'README.md'));
  assert.ok(existsSync(join(out, 'slice_studio_export.json')));
});

test('safetensors export --dtype f16 halves the weights and shortcuts and scores like the source', async () => {
  const out = join(tmp.dir, 'f16');
  const r = await exportSafetensors(quietContext(), { model: sliced, out, dtype: 'f16' });
  const shards = (files: { name: string; bytes: number }[]) => files.filter((f) => f.name.endsWith('.safetensors')).reduce((n, f) => n + f.bytes, 0);
  const before = shards(readdirSync(sliced).map((name) => ({ name, bytes: readFileSync(join(sliced, name)).byteLength })));
  assert.ok(shards(r.files) < 0.6 * before, `${shards(r.files)} vs ${before}`);
  const layer = (await readSafetensorsHeader(join(out, 'model-00002-of-00006.safetensors'))).tensors;
  assert.equal(layer.find((t) => t.name.endsWith('fc1.weight'))!.dtype, 'F16');
  assert.equal(layer.find((t) => t.name.endsWith('attn_shortcut_Q'))!.dtype, 'F16');
  const a = await perplexity({ model: await openAnyModel(sliced), ids, seqLen: 256 });
  const b = await perplexity({ model: await openAnyModel(out), ids, seqLen: 256 });
  assert.ok(Math.abs(a.ppl - b.ppl) / a.ppl < 1e-2, `${a.ppl} vs ${b.ppl}`);
});

test('safetensors export of a dense folder says there is nothing to export, in one line', async () => {
  await assert.rejects(exportSafetensors(quietContext(), { model: modelPath('tiny-opt'), out: join(tmp.dir, 'dense') }), (e: Error) => {
    assert.ok(e instanceof ExportError);
    assert.match(e.message, /dense model, already in safetensors/);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
});
