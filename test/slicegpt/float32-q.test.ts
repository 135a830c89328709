// A rotation Q carried as float32 (the WGSL solver's eigenvectors as they come down, for the device engine:
// core/slicegpt/q-matrix.ts) must compute exactly what the same Q widened to float64 did before: the host
// products widen it exactly, the device engine uploads it as is, the checkpoint writes float64.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RotationProvider } from '../../core/slicegpt/rotate-and-slice';
import { principalDirections, SecondMoment } from '../../core/slicegpt/pca';
import { leadingColumns, leadingColumns32, mulLeftTransposedF64, mulRightF64, rotateRows, shortcutMatrix, transposedColumns, vecMulF64 } from '../../core/slicegpt/products';
import { Checkpoint } from '../../core/slicegpt/checkpoint';
import { ActivationStore, RamBudget } from '../../core/slicegpt/activations';
import { MemorySink, random32 } from './helpers';
import { sliceOnDevice } from './device-slice';

test('every host product of a float32 Q equals that of the same Q widened to float64, bit for bit', async () => {
  const [n, k, rows] = [24, 17, 9];
  const q32 = random32(n * n, 1, 0.7);
  const q64 = Float64Array.from(q32);
  const w = { rows, cols: n, data: random32(rows * n, 2, 0.7) };
  const wt = { rows: n, cols: rows, data: random32(n * rows, 3, 0.7) };
  const v = random32(n, 4, 0.7);
  for (const kk of [k, n]) {
    assert.deepEqual(leadingColumns(q32, n, kk), leadingColumns(q64, n, kk), `leadingColumns k=${kk}`);
    assert.deepEqual(leadingColumns32(q32, n, kk), leadingColumns32(q64, n, kk), `leadingColumns32 k=${kk}`);
    assert.deepEqual(await mulRightF64(w, q32, n, kk), await mulRightF64(w, q64, n, kk));
    assert.deepEqual(await mulLeftTransposedF64(q32, n, kk, wt), await mulLeftTransposedF64(q64, n, kk, wt));
    assert.deepEqual(await vecMulF64(v, q32, n, kk), await vecMulF64(v, q64, n, kk));
    assert.deepEqual(await shortcutMatrix(q32, q64, n, kk, k), await shortcutMatrix(q64, q64, n, kk, k));
    assert.deepEqual(transposedColumns(q32, n, kk), transposedColumns(q64, n, kk));
    assert.deepEqual(await rotateRows(w.data, rows, q32, n, kk), await rotateRows(w.data, rows, q64, n, kk));
  }
  // The device engine's upload of a whole float32 Q is Q itself: no n² conversion.
  assert.equal(leadingColumns32(q32, n, n), q32);
});

test('a checkpoint of a float32 Q stores and loads it widened to float64', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ck32-'));
  try {
    const q = random32(16, 5, 0.7);
    const inputs = new ActivationStore({ name: 'in-1', width: 4, dir, budget: new RamBudget(2 ** 30) });
    inputs.set(
      0,
      Float32Array.from({ length: 8 }, (_, i) => i),
    );
    const cp = new Checkpoint(dir, 'key');
    await cp.save({ nextLayer: 1, inputs, q, stats: [], timings: [] });
    const got = cp.load(new RamBudget(2 ** 30), join(dir, 'scratch'))!;
    assert.ok(got.q instanceof Float64Array);
    assert.deepEqual(got.q, Float64Array.from(q));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the PCA asked for float32 vectors still gives float64 Q from the float64 solver', async () => {
  const n = 6;
  const m = new SecondMoment(n);
  await m.add(random32(10 * n, 6, 0.7), 10);
  const a = await principalDirections(m, 'float64', { float32Vectors: true });
  const b = await principalDirections(m);
  assert.ok(a.q instanceof Float64Array);
  assert.deepEqual(a.q, b.q);
});

async function slice(asFloat32: boolean): Promise<MemorySink> {
  // The PCA's Q rounded to float32 (what the WGSL solver downloads), given as float32 or widened to float64.
  const rotations: RotationProvider = async (_s, _l, m) => {
    const r = await principalDirections(m);
    const q32 = Float32Array.from(r.q);
    return { q: asFloat32 ? q32 : Float64Array.from(q32), eigenvalues: r.eigenvalues };
  };
  const sink = new MemorySink();
  await sliceOnDevice({ model: 'tiny-opt', passDtype: 'f32', seed: 3, sink: () => sink, scratch: join(tmpdir(), 'slice-float32-q'), rotations });
  return sink;
}

test('the device engine slices tiny-opt (biases, learned positions) with a float32 Q exactly as with the same Q in float64', async () => {
  const f64 = await slice(false);
  const f32 = await slice(true);
  assert.ok(f32.layers.length > 0);
  assert.deepEqual(f32.embeddingW, f64.embeddingW);
  assert.deepEqual(f32.layers, f64.layers);
  assert.deepEqual(f32.headW, f64.headW);
});
