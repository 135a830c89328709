// Gram matrices by upper column blocks (core/runtime/gram-blocks.ts): asked for, the device engine computes each
// batch's Σ xᵀx as k(k+1)/2 block products instead of one n×n product and mirrors the lower blocks on the host.
// Pinned on the CPU EP, which runs the same graphs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { DeviceTensors, type DeviceMoment } from '../../core/runtime/device';
import { assembleSymmetric, blockEdges, blockPairs, gramBlocks } from '../../core/runtime/gram-blocks';
import { sweepWith } from '../slicegpt/sweep';

function rand(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32 - 0.5));
}

/** Five batches of `rows` × n, every seventh row masked, accumulated by `dev`; with the float64 Σ xᵀx of the kept rows. */
async function accumulate(dev: DeviceTensors, n: number, rows: number, half = false): Promise<{ acc: DeviceMoment; exact: Float64Array }> {
  const exact = new Float64Array(n * n);
  let acc: DeviceMoment | undefined;
  for (let b = 0; b < 5; b++) {
    let x = rand(rows * n, b + 3);
    // k/1024 with |k| ≤ 512: exact in float16, so the float64 reference sees what the device widens.
    if (half) x = x.map((v) => Math.round(v * 1024) / 1024);
    const keep = Uint8Array.from({ length: rows }, (_, r) => ((r + b) % 7 === 0 ? 0 : 1));
    for (let r = 0; r < rows; r++) if (keep[r]) for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) exact[i * n + j] += x[r * n + i] * x[r * n + j];
    let t: ort.Tensor = new ort.Tensor('float32', x, [1, rows, n]);
    if (half) t = await dev.toHalf(t);
    acc = await dev.accumulate(t, keep, acc);
  }
  return { acc: acc!, exact };
}

test('blocked Gram matrices equal the float64 Σ xᵀx and come down exactly symmetric (2, 3 and 4 blocks, masked rows, float16 inputs)', async () => {
  for (const [k, n, half] of [
    [2, 16, false],
    [3, 22, false],
    [4, 24, true],
  ] as const) {
    const dev = new DeviceTensors('cpu', { gramBlocks: k });
    const { acc, exact } = await accumulate(dev, n, 40, half);
    assert.equal(acc.edges.length, k + 1);
    assert.equal(acc.s.length, blockPairs(k).length);
    const got = await dev.settle(acc);
    let worst = 0;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        worst = Math.max(worst, Math.abs(got[i * n + j] - exact[i * n + j]) / (Math.abs(exact[i * n + j]) + 1));
        assert.equal(got[i * n + j], got[j * n + i], `(${i}, ${j}) mirrors (${j}, ${i})`);
      }
    assert.ok(worst < 1e-6, `${k} blocks: worst relative error ${worst}`);
    await dev.dispose();
  }
});

test('a blocked moment rounded on the device equals the unblocked one to float32 rounding, and its pair keeps the compensation', async () => {
  const n = 20;
  const one = new DeviceTensors('cpu', { gramBlocks: 1 });
  const three = new DeviceTensors('cpu', { gramBlocks: 3 });
  const whole = await one.settleRounded((await accumulate(one, n, 36)).acc);
  const blocked = await three.settleRounded((await accumulate(three, n, 36)).acc);
  assert.equal(blocked.length, n * n);
  for (let i = 0; i < n * n; i++) assert.ok(Math.abs(blocked[i] - whole[i]) <= 4e-7 * (Math.abs(whole[i]) + 1), `entry ${i}: ${blocked[i]} vs ${whole[i]}`);
  const { s, c } = await three.settlePair((await accumulate(three, n, 36)).acc);
  assert.ok(
    c.some((v) => v !== 0),
    'the pair carries a compensation',
  );
  for (let i = 0; i < n * n; i++) assert.equal(Math.fround(s[i] - c[i]), blocked[i], `entry ${i}`);
  await one.dispose();
  await three.dispose();
});

test('one block unless asked (the blocked graph was slower on the H100), SLICE_STUDIO_GRAM_BLOCKS or the option asks', () => {
  assert.equal(gramBlocks(8192), 1);
  assert.equal(gramBlocks(64, 3), 3);
  process.env.SLICE_STUDIO_GRAM_BLOCKS = '2';
  try {
    assert.equal(gramBlocks(8192), 2);
    assert.equal(gramBlocks(4), 1);
    process.env.SLICE_STUDIO_GRAM_BLOCKS = 'many';
    assert.throws(() => gramBlocks(8192), /whole number/);
  } finally {
    delete process.env.SLICE_STUDIO_GRAM_BLOCKS;
  }
});

test('block edges cover the width in widths that are multiples of 4 where the width allows', () => {
  assert.deepEqual(blockEdges(8192, 4), [0, 2048, 4096, 6144, 8192]);
  assert.deepEqual(blockEdges(4096, 1), [0, 4096]);
  const e = blockEdges(100, 3);
  assert.deepEqual([e[0], e[3]], [0, 100]);
  for (let i = 0; i < 3; i++) assert.ok(e[i + 1] > e[i] && (e[i + 1] - e[i]) % 4 === 0, `edges ${e}`);
  assert.deepEqual(blockEdges(7, 2), [0, 4, 7]);
});

test('the assembled matrix places each upper block and mirrors it below the diagonal', () => {
  // n = 3, blocks [0, 1) and [1, 3): parts (0,0) 1×1, (0,1) 1×2, (1,1) 2×2.
  const m = assembleSymmetric(3, [0, 1, 3], [Float32Array.of(1), Float32Array.of(2, 3), Float32Array.of(4, 5, 5, 6)]);
  assert.deepEqual(Array.from(m), [1, 2, 3, 2, 4, 5, 3, 5, 6]);
  assert.throws(() => assembleSymmetric(3, [0, 1, 3], [Float32Array.of(1)]), /1 parts for 3 blocks/);
});

test('slicing tiny-llama with blocked Gram matrices gives the same d and a perplexity within 1e-5 of one block (device engine, float32 passes)', async () => {
  const opts = { nsamples: 8, seqlen: 256, evalWindows: 8, batchSize: 2, engine: 'device' as const, passDtype: 'f32' as const };
  const run = (k: string) => sweepWith('SLICE_STUDIO_GRAM_BLOCKS', k, 'tiny-llama', [0.25, 0.5], opts);
  const one = await run('1');
  const three = await run('3');
  for (const [i, p] of one.points.entries()) {
    const r = three.points[i];
    assert.equal(r.d, p.d);
    assert.ok(Math.abs(r.ppl - p.ppl) / p.ppl < 1e-5, `${p.ratio}: 3 blocks ${r.ppl} vs 1 block ${p.ppl}`);
  }
});
