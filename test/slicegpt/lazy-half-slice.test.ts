// A float16 slice on the device engine keeps its rotated weights as the float16 bits the device rounded
// (core/model/lazy-half.ts) instead of widening every product to float32 as it comes down (~1.4 s a LLaMA-2-7B
// layer on an H100 host, on the critical path). The sliced folder must not change by a byte: here the device
// engine runs on the CPU EP through the GPU code path (resident runner, float16 passes), writing a float16
// folder as slice-model.ts does, once lazily and once widening at once (eagerHalf, the previous behaviour).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlicedModelWriter } from '../../core/slicegpt/output';
import { isPendingHalf, storageOf } from '../../core/model/lazy-half';
import type { LayerWeights } from '../../core/model/weights';
import { matrices, sliceOnDevice } from './device-slice';

/** Slices `name` at 25 % into a float16 folder; returns the folder's files and the layers the sink was given. */
async function sliceToFolder(name: string, out: string, eagerHalf: boolean): Promise<{ files: Map<string, Buffer>; layers: LayerWeights[]; pendingWhenWritten: number[] }> {
  const layers: LayerWeights[] = [];
  // Per layer: how many of its matrices were still float16 bits after their shard was written.
  const pendingWhenWritten: number[] = [];
  await sliceOnDevice({
    model: name,
    passDtype: 'f16',
    seed: 5,
    engine: { hostHalf: true, eagerHalf },
    sink: (src) => {
      const writer = new SlicedModelWriter(out, src.config, 'float16');
      return {
        embedding: (e) => writer.writeEmbedding(e),
        layer: async (i, w) => {
          await writer.writeLayer(i, w);
          layers[i] = w;
          pendingWhenWritten[i] = matrices(w).filter((m) => isPendingHalf(storageOf(m))).length;
        },
        head: (h) => writer.writeHead(h),
      };
    },
    scratch: join(out, '.scratch'),
  });
  const files = new Map(readdirSync(out, { withFileTypes: true }).flatMap((f) => (f.isFile() ? [[f.name, readFileSync(join(out, f.name))] as const] : [])));
  return { files, layers, pendingWhenWritten };
}

for (const name of ['tiny-llama', 'tiny-phi'] as const) {
  test(`${name}: a float16 slice on the device engine writes the same bytes whether its products stay float16 bits or are widened at once, and writing them widens nothing`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lazy-half-slice-'));
    try {
      const eager = await sliceToFolder(name, join(dir, 'eager'), true);
      const lazy = await sliceToFolder(name, join(dir, 'lazy'), false);
      assert.deepEqual([...lazy.files.keys()].sort(), [...eager.files.keys()].sort());
      assert.ok(lazy.files.size >= 3);
      for (const [f, bytes] of eager.files) assert.ok(lazy.files.get(f)!.equals(bytes), `${f} differs`);
      // Every rotated weight and shortcut of every layer was written from its bits, none widened on the way.
      assert.deepEqual(
        lazy.pendingWhenWritten,
        lazy.layers.map((w) => matrices(w).length),
      );
      assert.deepEqual(
        eager.pendingWhenWritten,
        eager.layers.map(() => 0),
      );
      // Read afterwards, the lazy weights are the eagerly widened values.
      for (const [i, w] of lazy.layers.entries()) {
        const [a, b] = [matrices(w), matrices(eager.layers[i])];
        for (let j = 0; j < a.length; j++) assert.deepEqual(a[j].data, b[j].data, `layer ${i}, matrix ${j}`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
