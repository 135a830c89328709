import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../core/model/source';
import { readAhead } from '../../core/slicegpt/read-ahead';
import type { LayerWeights } from '../../core/model/weights';
import { sharedModel as modelPath } from '../shared';

const attnQ = (w: LayerWeights) => (w.kind === 'parallel' ? w.block.attn.q : w.attn.q).weight;
const floats = (m: ReturnType<typeof attnQ>) => Float32Array.from(m.data);

// tiny-llama is float16: its larger linears go through the prefetch's worker threads (prefetch-pool.ts), compared here
// with the source's own main-thread read.
test('readAhead gives each layer the bytes the source reads for it (widened on the prefetch workers), in order, and starts mid-model (a resume)', async () => {
  const src = await openModel(modelPath('tiny-llama'));
  const L = src.config.numLayers;
  for (const from of [0, L - 1]) {
    const layer = readAhead(src, L);
    for (let i = from; i < L; i++) assert.deepEqual(floats(attnQ(await layer(i))), floats(attnQ(await src.layer(i))), `layer ${i} from ${from}`);
  }
});

test('readAhead serves a layer out of order by reading it then, and a failed read surfaces when its layer is taken', async () => {
  const src = await openModel(modelPath('tiny-llama'));
  const layer = readAhead(src, src.config.numLayers);
  assert.deepEqual(floats(attnQ(await layer(1))), floats(attnQ(await src.layer(1))));
  assert.deepEqual(floats(attnQ(await layer(0))), floats(attnQ(await src.layer(0))));
  const broken = Object.create(src) as typeof src;
  broken.layer = (i) => (i === 1 ? Promise.reject(new Error('shard missing')) : src.layer(i));
  const failing = readAhead(broken, 2);
  await layer(0);
  await failing(0);
  await assert.rejects(failing(1), /shard missing/);
});
