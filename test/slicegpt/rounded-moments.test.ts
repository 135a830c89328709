// The device engine's rounded moments (engine.ts roundedMoments, DeviceTensors.settleRounded): where the PCA's
// eigensolver is the WGSL one (float32 upload), each moment comes down as one float32 n² array, s − c rounded once on
// the device, instead of the compensated pair's two. Pinned here on the CPU EP, which runs the same graphs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { DeviceTensors, type DeviceMoment } from '../../core/runtime/device';
import { roundedMoments } from '../../core/slicegpt/engine';
import { sweepWith } from './sweep';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32 - 0.5));
}

async function accumulated(dev: DeviceTensors, n: number): Promise<DeviceMoment> {
  let acc: DeviceMoment | undefined;
  for (let b = 0; b < 6; b++) acc = await dev.accumulate(new ort.Tensor('float32', rand(40 * n, b + 7), [1, 40, n]), undefined, acc);
  return acc!;
}

test('a rounded moment is the compensated pair s − c rounded once to float32, entry by entry, in one download', async () => {
  const dev = new DeviceTensors('cpu');
  const n = 24;
  const { s, c } = await dev.settlePair(await accumulated(dev, n));
  const d = await dev.settleRounded(await accumulated(dev, n));
  assert.equal(d.length, n * n);
  let compensated = 0;
  for (let i = 0; i < n * n; i++) {
    assert.equal(d[i], Math.fround(s[i] - c[i]), `entry ${i}`);
    if (c[i] !== 0) compensated++;
  }
  assert.ok(compensated > 0, 'the pair carried a compensation for the rounding to drop');
  await dev.dispose();
});

test('moments come down rounded exactly where the PCA solver is the WGSL one, unless SLICE_STUDIO_MOMENT_DOWNLOAD says otherwise', () => {
  assert.equal(roundedMoments('device', 'webgpu', {}), true);
  assert.equal(roundedMoments('device', 'cpu', {}), false);
  assert.equal(roundedMoments('device', 'cpu', { SLICE_STUDIO_EIGH: 'gpu' }), true);
  assert.equal(roundedMoments('device', 'webgpu', { SLICE_STUDIO_EIGH: 'cpu' }), false);
  assert.equal(roundedMoments('host', 'cpu', {}), false);
  assert.equal(roundedMoments('device', 'webgpu', { SLICE_STUDIO_MOMENT_DOWNLOAD: 'pair' }), false);
  assert.equal(roundedMoments('device', 'cpu', { SLICE_STUDIO_MOMENT_DOWNLOAD: 'rounded' }), true);
  assert.throws(() => roundedMoments('device', 'cpu', { SLICE_STUDIO_MOMENT_DOWNLOAD: 'half' }), /pair or rounded/);
});

test('slicing tiny-llama with rounded moments gives the same d and a perplexity within 1e-5 of the compensated pair (device engine, float32 passes)', async () => {
  const opts = { nsamples: 8, seqlen: 256, evalWindows: 8, batchSize: 2, engine: 'device' as const, passDtype: 'f32' as const };
  const run = (mode: string) => sweepWith('SLICE_STUDIO_MOMENT_DOWNLOAD', mode, 'tiny-llama', [0.25, 0.5], opts);
  const pair = await run('pair');
  const rounded = await run('rounded');
  for (const [i, p] of pair.points.entries()) {
    const r = rounded.points[i];
    assert.equal(r.d, p.d);
    assert.ok(Math.abs(r.ppl - p.ppl) / p.ppl < 1e-5, `${p.ratio}: rounded ${r.ppl} vs pair ${p.ppl}`);
  }
});
