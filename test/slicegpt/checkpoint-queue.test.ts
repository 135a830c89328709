// The checkpoint queue (core/slicegpt/checkpoint-queue.ts): save returns once the boundary is taken, and what is
// written is that boundary whatever the job changes afterwards (its statistics, timings, inputs); saves land in
// order; a failed write surfaces at flush (or the next save), not as an unhandled rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Checkpoint } from '../../core/slicegpt/checkpoint';
import { CheckpointQueue } from '../../core/slicegpt/checkpoint-queue';
import { ActivationStore, RamBudget } from '../../core/slicegpt/activations';
import type { LayerBoundary, SignalStats } from '../../core/slicegpt/rotate-and-slice';

const stat = (layer: number): SignalStats => ({ layer, signal: 'mlp', kept: 2, width: 4, tokens: 3, top: [1], explainedVariance: 0.5 });

function boundary(dir: string, nextLayer: number): LayerBoundary {
  const inputs = new ActivationStore({ name: `in-${nextLayer}`, width: 4, dir, budget: new RamBudget(2 ** 30) });
  inputs.set(
    0,
    Float32Array.from({ length: 12 }, (_, i) => i + nextLayer),
  );
  inputs.set(
    1,
    Float32Array.from({ length: 8 }, (_, i) => -i - nextLayer),
  );
  return { nextLayer, inputs, q: Float64Array.from({ length: 16 }, (_, i) => i / 7 + nextLayer), stats: [stat(nextLayer - 1)], timings: [{ layer: nextLayer - 1, signals: 1, pca: 2, rotate: 3 }] };
}

test('each saved boundary is written as it was when saved, in order; the last one is what loads', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckq-'));
  try {
    const cp = new Checkpoint(dir, 'key');
    const q = new CheckpointQueue(cp);
    const b1 = boundary(dir, 1);
    await q.save(b1);
    // The job goes on: more statistics, a later field on the timing, its inputs dropped.
    b1.stats.push(stat(7));
    b1.timings[0].checkpoint = 9;
    b1.inputs.clear();
    await q.flush();
    let got = cp.load(new RamBudget(2 ** 30), join(dir, 'scratch'))!;
    assert.equal(got.nextLayer, 1);
    assert.deepEqual(got.stats, [stat(0)]);
    assert.deepEqual(got.timings, [{ layer: 0, signals: 1, pca: 2, rotate: 3 }]);
    assert.deepEqual(
      [...got.inputs.get(0)],
      Array.from({ length: 12 }, (_, i) => i + 1),
    );
    assert.deepEqual(
      [...got.inputs.get(1)],
      Array.from({ length: 8 }, (_, i) => -i - 1),
    );
    // Two saves back to back: the second waits for the first, and only its files remain.
    await q.save(boundary(dir, 2));
    await q.save(boundary(dir, 3));
    await q.flush();
    got = cp.load(new RamBudget(2 ** 30), join(dir, 'scratch'))!;
    assert.equal(got.nextLayer, 3);
    assert.deepEqual(
      [...got.q],
      Array.from({ length: 16 }, (_, i) => i / 7 + 3),
    );
    assert.deepEqual(readdirSync(cp.dir).sort(), ['inputs-3.f32', 'q-3.f64', 'state.json']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that fails in the background surfaces at flush, after save itself returned', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckq-'));
  try {
    // The checkpoint folder's name is taken by a file: the write cannot create it.
    writeFileSync(join(dir, '.checkpoint'), 'not a folder');
    const q = new CheckpointQueue(new Checkpoint(dir, 'key'));
    await q.save(boundary(dir, 1));
    await assert.rejects(q.flush(), /EEXIST|ENOTDIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('background false writes within save', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckq-'));
  try {
    writeFileSync(join(dir, '.checkpoint'), 'not a folder');
    await assert.rejects(new CheckpointQueue(new Checkpoint(dir, 'key'), { background: false }).save(boundary(dir, 1)), /EEXIST|ENOTDIR/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a boundary larger than maxBackgroundBytes is written before save returns (not held through the next layer)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckq-'));
  try {
    const cp = new Checkpoint(dir, 'key');
    // 20 floats = 80 bytes of inputs: over a 64-byte cap, so written in save; under a 1 KiB cap, in the background
    const big = new CheckpointQueue(cp, { maxBackgroundBytes: 64 });
    await big.save(boundary(dir, 1));
    // no flush: the files are already there
    assert.equal(cp.load(new RamBudget(2 ** 30), join(dir, 'scratch'))!.nextLayer, 1);
    const small = new CheckpointQueue(cp, { maxBackgroundBytes: 1024 });
    await small.save(boundary(dir, 2));
    await small.flush();
    assert.equal(cp.load(new RamBudget(2 ** 30), join(dir, 'scratch'))!.nextLayer, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
