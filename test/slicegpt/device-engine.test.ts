// The device engine (activations kept on the EP, float32 Gram per batch summed in float64, float32
// rotations, in×out MatMul weights) runs here on the CPU EP through the same code path it takes on a
// GPU: it must reproduce the dense model at ratio 0 and the host engine's float64 slicing closely
// (measured: 3e-7 relative on all four shared models at 0.25).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from './sweep';

// Batches of 2 windows: the per-batch Gram matrices are summed on the device across 4 batches.
const opts = { nsamples: 8, seqlen: 256, evalWindows: 8, batchSize: 2 };

for (const name of ['tiny-llama', 'tiny-phi'] as const) {
  test(`the device engine slices ${name} like the float64 host engine (ratio 0 = dense within 0.01 %, 0.25 within 0.001 %)`, async () => {
    const dev = await sweep(name, [0, 0.25], { ...opts, engine: 'device' });
    const host = await sweep(name, [0.25], { ...opts, engine: 'host' });
    const r0 = Math.abs(dev.points[0].ppl - dev.dense) / dev.dense;
    assert.ok(r0 < 1e-4, `dense ${dev.dense}, device ratio 0 ${dev.points[0].ppl}`);
    assert.equal(dev.points[1].d, host.points[0].d);
    const r25 = Math.abs(dev.points[1].ppl - host.points[0].ppl) / host.points[0].ppl;
    assert.ok(r25 < 1e-5, `0.25: device ${dev.points[1].ppl} vs host ${host.points[0].ppl} (${(r25 * 100).toFixed(4)} %)`);
  });
}

test('a GPU allocation failure inside a pass becomes one actionable DeviceMemoryError; other errors pass through', async () => {
  const { guarded, DeviceMemoryError } = await import('../../core/slicegpt/engine');
  await assert.rejects(
    guarded('attention', async () => {
      throw new Error('Failed to allocate a buffer of size 4294967296\n  at webgpu');
    }),
    (e: Error) => e instanceof DeviceMemoryError && /attention pass/.test(e.message) && /--batch-size/.test(e.message) && !e.message.includes('\n'),
  );
  await assert.rejects(guarded('MLP', async () => { throw new RangeError('shape mismatch'); }), RangeError);
  assert.equal(await guarded('MLP', async () => 7), 7);
});
