// The device engine's weight products per layer (rotate-and-slice.ts): one batch — one session run — per
// step (q/k/v readers with the probe's shortcut and o_proj staged; o, its shortcut, gate/up and down staged;
// down and its shortcut), and weights uploaded as exact float16 where the source is float16. Neither may
// change a single bit of what is computed: run here on the CPU EP through the GPU code path, with runs and
// bytes counted as a GPU EP moves them (core/runtime/transfer-count.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeTransferCounts, type TransferCounts } from '../../core/runtime/transfer-count';
import { MemorySink } from './helpers';
import { matrices, sliceOnDevice } from './device-slice';

async function slice(o: { halfUploads: boolean; hostHalf: boolean }): Promise<{ sink: MemorySink; perLayer: TransferCounts[] }> {
  const perLayer: TransferCounts[] = [];
  const sink = new MemorySink();
  takeTransferCounts();
  await sliceOnDevice({
    model: 'tiny-llama',
    passDtype: 'f16',
    seed: 3,
    engine: o,
    sink: () => sink,
    scratch: join(tmpdir(), 'slice-weight-batches'),
    afterLayer: () => perLayer.push(takeTransferCounts()),
  });
  // The first endLayer ends the embedding's step (with the setup's transfers too): left out.
  return { sink, perLayer: perLayer.slice(1) };
}

test('float16 uploads of a float16 model give the very products of float32 uploads, in three product runs per layer at half the upload bytes', async () => {
  const f32 = await slice({ halfUploads: false, hostHalf: false });
  const f16 = await slice({ halfUploads: true, hostHalf: false });
  assert.equal(f16.sink.layers.length, f32.sink.layers.length);
  for (let i = 0; i < f32.sink.layers.length; i++) {
    const [a, b] = [matrices(f32.sink.layers[i]), matrices(f16.sink.layers[i])];
    for (let j = 0; j < a.length; j++) assert.deepEqual(b[j].data, a[j].data, `layer ${i}, matrix ${j}`);
  }
  for (const [i, c] of f16.perLayer.entries()) {
    assert.equal(c.byKind.products.runs, 3, `layer ${i}: product runs`);
    const half = c.byKind.products.uploadBytes;
    const full = f32.perLayer[i].byKind.products.uploadBytes;
    // The seven linears go up at 2 bytes a weight (float32 γ and the Q's still at 4).
    assert.ok(half < 0.6 * full, `layer ${i}: ${half} vs ${full} bytes up`);
  }
});

test('a float16 slice downloads its rotated weights as float16 rounded once from the float32 product', async () => {
  const f32 = await slice({ halfUploads: true, hostHalf: false });
  const f16 = await slice({ halfUploads: true, hostHalf: true });
  const f16Round = (x: Float32Array) => {
    // The writer's rounding (nearest even), which the CPU EP's Cast also does.
    const h = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) h[i] = roundHalf(x[i]);
    return h;
  };
  for (let i = 0; i < f32.sink.layers.length; i++) {
    const [a, b] = [matrices(f32.sink.layers[i]), matrices(f16.sink.layers[i])];
    for (let j = 0; j < a.length; j++) assert.deepEqual(b[j].data, f16Round(a[j].data), `layer ${i}, matrix ${j}`);
  }
  for (const [i, c] of f16.perLayer.entries()) assert.ok(c.byKind.products.downloadBytes * 2 === f32.perLayer[i].byKind.products.downloadBytes, `layer ${i}: half the bytes down`);
});

// float32 → nearest-even float16 value, as a float32 number.
function roundHalf(v: number): number {
  if (v === 0 || !Number.isFinite(v)) return v;
  const e = Math.max(Math.floor(Math.log2(Math.abs(v))), -14);
  const ulp = 2 ** (e - 10);
  const q = v / ulp;
  let r = Math.round(q);
  if (Math.abs(q - Math.trunc(q)) === 0.5) r = 2 * Math.round(q / 2);
  return Math.fround(r * ulp);
}
