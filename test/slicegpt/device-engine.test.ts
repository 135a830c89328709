// The device engine (activations kept on the EP, float32 Gram per batch summed in float64, float32
// rotations of activations and weights, in×out MatMul weights) runs here on the CPU EP through the same
// code path it takes on a GPU: it must reproduce the dense model at ratio 0 and the host engine's float64
// slicing closely — with float32 passes (measured ≤ 6e-7 relative on all four shared models at 0.1, 0.25
// and 0.5) and with float16 passes, which the CPU EP runs through the same float16 graphs, widening inside
// operators it has no float16 kernel for (measured ≤ 0.035 % with this test's calibration, ≤ 0.082 % with the
// protocol's; the bar is 0.5 %).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sweep } from './sweep';

// Batches of 2 windows: the per-batch Gram matrices are summed on the device across 4 batches.
const opts = { nsamples: 8, seqlen: 256, evalWindows: 8, batchSize: 2 };
const rel = (a: number, b: number) => Math.abs(a - b) / b;

for (const name of ['tiny-llama', 'tiny-phi'] as const) {
  test(`the device engine slices ${name} like the float64 host engine: float32 passes within 0.001 % (ratio 0 = dense within 0.01 %), float16 passes within 0.5 %`, async () => {
    const f32 = await sweep(name, [0, 0.25, 0.5], { ...opts, engine: 'device', passDtype: 'f32', dense: true });
    const f16 = await sweep(name, [0.25, 0.5], { ...opts, engine: 'device', passDtype: 'f16' });
    const host = await sweep(name, [0.25, 0.5], { ...opts, engine: 'host' });
    assert.ok(rel(f32.points[0].ppl, f32.dense) < 1e-4, `dense ${f32.dense}, device ratio 0 ${f32.points[0].ppl}`);
    for (const [i, h] of host.points.entries()) {
      const [a, b] = [f32.points[i + 1], f16.points[i]];
      assert.equal(a.d, h.d);
      assert.equal(b.d, h.d);
      assert.ok(rel(a.ppl, h.ppl) < 1e-5, `${h.ratio}: float32 passes ${a.ppl} vs host ${h.ppl}`);
      assert.ok(rel(b.ppl, h.ppl) < 5e-3, `${h.ratio}: float16 passes ${b.ppl} vs host ${h.ppl}`);
    }
  });
}

for (const name of ['tiny-opt', 'tiny-stories'] as const) {
  test(`float16 passes slice ${name} (${name === 'tiny-opt' ? 'LayerNorm, ReLU, learned positions' : 'narrow LLaMA'}) within 0.5 % of the float64 host engine`, async () => {
    const f16 = await sweep(name, [0.25], { ...opts, engine: 'device', passDtype: 'f16' });
    const host = await sweep(name, [0.25], { ...opts, engine: 'host' });
    assert.equal(f16.points[0].d, host.points[0].d);
    assert.ok(rel(f16.points[0].ppl, host.points[0].ppl) < 5e-3, `float16 passes ${f16.points[0].ppl} vs host ${host.points[0].ppl}`);
  });
}

test('a GPU allocation failure inside a pass becomes one actionable DeviceMemoryError; other errors pass through', async () => {
  const { guarded, DeviceMemoryError } = await import('../../core/slicegpt/engine');
  await assert.rejects(
    guarded(
      'attention',
      async () => {
        throw new Error('Failed to allocate a buffer of size 4294967296\n  at webgpu');
      },
      4 * 2 ** 30,
    ),
    (e: Error) => e instanceof DeviceMemoryError && /attention pass/.test(e.message) && /--batch-size/.test(e.message) && /4 now; try --vram-gb 2\)/.test(e.message) && !e.message.includes('\n'),
  );
  await assert.rejects(
    guarded(
      'MLP',
      async () => {
        throw new RangeError('shape mismatch');
      },
      4 * 2 ** 30,
    ),
    RangeError,
  );
  assert.equal(await guarded('MLP', async () => 7, 4 * 2 ** 30), 7);
});
