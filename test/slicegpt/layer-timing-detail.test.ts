// Each layer's timing says where its phases' seconds went (LayerTiming.detail, core/base/laps.ts): the
// algorithm's steps one level below a phase add up to no more than the phase, the device engine's parts
// (the weight products' device run, the moment's download and float64 finish) and the eigensolver's phases
// nest under their step, and the checkpoint after the layer is timed too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { quietContext } from '../../core/base/job-context';
import type { LayerTiming } from '../../core/slicegpt/rotate-and-slice';
import { modelPath, sliceOptions } from './helpers';

/** The sum of `detail`'s steps directly below `phase` (`phase.step`, not `phase.step.part`). */
const stepsOf = (t: LayerTiming, phase: string) =>
  Object.entries(t.detail ?? {})
    .filter(([k]) => k.startsWith(`${phase}.`) && k.split('.').length === 2)
    .reduce((a, [, v]) => a + v, 0);

const has = (t: LayerTiming, key: string) => assert.ok((t.detail?.[key] ?? -1) >= 0, `layer ${t.layer}: no ${key} in ${Object.keys(t.detail ?? {}).join(', ')}`);

for (const [name, engine, block] of [
  ['tiny-llama', 'device', 'signals.attention'],
  ['tiny-phi', 'device', 'signals.block'],
  ['tiny-llama', 'host', 'signals.attention'],
] as const) {
  test(`${name}, ${engine} engine: every layer's timing splits its phases into steps that add up to no more than the phase`, async () => {
    const out = mkdtempSync(join(tmpdir(), 'timing-detail-'));
    try {
      const r = await sliceModel(quietContext(), sliceOptions(modelPath(name), join(out, 's'), { engine, dtype: 'float16' }));
      const layers = r.timings.filter((t) => t.layer >= 0);
      assert.ok(layers.length > 0);
      for (const t of layers) {
        for (const k of [block, 'signals.moment', 'signals.store', 'signals.settle', 'pca.moment', 'pca.check', 'pca.eigh', 'pca.stats', 'rotate.products', 'rotate.activations', 'rotate.endLayer', 'rotate.write']) has(t, k);
        // The float64 CPU eigensolver's own phases, nested under the PCA's eigh step.
        for (const k of ['pca.eigh.tridiagonalize', 'pca.eigh.tridiagonalSolve', 'pca.eigh.backTransform']) has(t, k);
        if (engine === 'device') for (const k of ['rotate.products.device', 'rotate.products.device.run', 'rotate.products.finish', 'signals.settle.download', 'signals.settle.add']) has(t, k);
        else assert.equal(t.detail?.['rotate.products.device'], undefined, 'the host engine has no device products');
        for (const phase of ['signals', 'pca', 'rotate'] as const) {
          const steps = stepsOf(t, phase);
          assert.ok(steps > 0 && steps <= t[phase] + 1e-6, `layer ${t.layer} ${phase}: steps ${steps} s, phase ${t[phase]} s`);
        }
        assert.ok(t.detail!['pca.eigh.tridiagonalize'] <= t.detail!['pca.eigh'] + 1e-6);
        assert.ok((t.checkpoint ?? -1) >= 0, `layer ${t.layer}: checkpoint ${t.checkpoint}`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
}
