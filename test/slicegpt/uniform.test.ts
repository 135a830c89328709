// Uniform rotation (`--rotation uniform`): one Q for the whole residual stream, head sliced, no shortcuts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { SlicedModelSource } from '../../core/slicegpt/sliced-source';
import { readSafetensorsHeader } from '../../core/model/safetensors';
import { sliceUniform } from '../../core/slicegpt/uniform';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { perplexityOfIds } from '../../core/runtime/perplexity';
import { quietContext } from '../../core/base/job-context';
import { MODELS, modelPath, testIds, withRunner } from './helpers';

const base = { cal: 'wikitext2', nsamples: 8, seqlen: 256, sampling: 'first' as const, seed: 0, round: 8, ep: 'cpu' as const };

async function uniformSweep(name: string, ratios: number[], evalWindows: number, extra: { engine?: 'host' | 'device'; batchSize?: number } = {}) {
  const folder = modelPath(name);
  const dense = await openModel(folder);
  const ids = await testIds(folder, evalWindows);
  const calibration = await loadCalibration(folder, base);
  const dir = mkdtempSync(join(tmpdir(), `uniform-${name}-`));
  try {
    return await withRunner(dense, async (runner) => {
      const densePpl = (await perplexityOfIds(dense, runner, ids)).ppl;
      const points = [];
      for (const ratio of ratios) {
        const out = join(dir, String(ratio));
        // float32 folders (compute precision), like sweep.ts: the algorithm's numbers, not float16 storage's.
        const r = await sliceUniform(quietContext(), { ...base, ...extra, model: folder, ratio, out, calibration, dtype: 'float32' });
        const src = await SlicedModelSource.create(out);
        points.push({ ratio, d: r.d, ppl: (await perplexityOfIds(src, runner, ids)).ppl, result: r, slicing: src.slicing, files: out });
        if (ratio !== ratios[ratios.length - 1]) continue;
        // Inspect the last folder before it is removed.
        const tensors = [];
        for (let k = 1; k <= dense.config.numLayers + 2; k++) {
          const file = join(out, `model-${String(k).padStart(5, '0')}-of-${String(dense.config.numLayers + 2).padStart(5, '0')}.safetensors`);
          tensors.push(...(await readSafetensorsHeader(file)).tensors);
        }
        (points[points.length - 1] as Record<string, unknown>).tensors = tensors;
        (points[points.length - 1] as Record<string, unknown>).studio = JSON.parse(readFileSync(join(out, 'slice_studio.json'), 'utf8'));
      }
      return { dense: densePpl, points };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const name of MODELS) {
  test(`uniform rotation of ${name} at ratio 0 (rotation only) reproduces the dense perplexity within 0.01 %`, async () => {
    const { dense, points } = await uniformSweep(name, [0], 4);
    const rel = Math.abs(points[0].ppl - dense) / dense;
    assert.ok(rel < 1e-4, `dense ${dense}, uniform ratio 0 ${points[0].ppl}`);
    for (const s of points[0].result.stats) assert.ok(Math.abs(s.explainedVariance - 1) < 1e-6, JSON.stringify(s));
  });
}

test('uniform rotation of tiny-llama: perplexity rises monotonically over 0.1…0.5; one width everywhere, head sliced, no shortcut tensors', async () => {
  const { dense, points } = await uniformSweep('tiny-llama', [0.1, 0.2, 0.25, 0.3, 0.5], 4);
  const seen = JSON.stringify(points.map(({ ratio, d, ppl }) => ({ ratio, d, ppl })));
  assert.ok(points[0].ppl > dense, seen);
  for (let i = 1; i < points.length; i++) assert.ok(points[i].d < points[i - 1].d && points[i].ppl > points[i - 1].ppl, `not rising: ${seen}`);
  assert.deepEqual(
    points.map((p) => p.d),
    [224, 200, 192, 176, 128],
  );

  const last = points[points.length - 1] as (typeof points)[number] & { tensors: { name: string; shape: number[] }[]; studio: Record<string, unknown> };
  const d = last.d;
  const sc = last.slicing as Record<string, unknown>;
  assert.equal(sc.do_slice_head, true);
  assert.equal(sc.head_dimension, d);
  for (const k of ['attention_input_dimensions', 'attention_output_dimensions', 'mlp_input_dimensions', 'mlp_output_dimensions']) assert.deepEqual(Object.values(sc[k] as Record<string, number>), [d, d, d, d], k);
  assert.ok(!last.tensors.some((t) => t.name.includes('shortcut')), 'no shortcut matrices');
  const head = last.tensors.find((t) => t.name === 'lm_head.weight')!;
  assert.deepEqual(head.shape, [4096, d]);
  assert.equal(last.studio.rotation, 'uniform');

  // Per-signal explained variance: embedding, 4 × (attention, mlp), each in (0, 1), falling with the ratio.
  const r = last.result;
  assert.deepEqual(
    r.stats.map((s) => s.signal),
    ['embedding', 'attention', 'mlp', 'attention', 'mlp', 'attention', 'mlp', 'attention', 'mlp'],
  );
  for (const s of r.stats) assert.ok(s.explainedVariance > 0.5 && s.explainedVariance < 1, JSON.stringify(s));
  for (let k = 0; k < r.stats.length; k++) assert.ok(points[0].result.stats[k].explainedVariance > r.stats[k].explainedVariance);
  // The uniform figure is the mean of the per-signal ones (C is a sum of unit-trace moments).
  const mean = r.stats.reduce((a, s) => a + s.explainedVariance, 0) / r.stats.length;
  assert.ok(Math.abs(mean - r.uniform.explainedVariance) < 1e-6, `${mean} vs ${r.uniform.explainedVariance}`);
  assert.equal(r.uniform.top.length, 64);
});

test('uniform rotation through the device engine (GPU code path, run on the CPU EP) matches the float64 host engine', async () => {
  // Batches of 2 windows: the device engine sums per-batch Gram matrices on the device.
  const dev = await uniformSweep('tiny-llama', [0.25], 4, { engine: 'device', batchSize: 2 });
  const host = await uniformSweep('tiny-llama', [0.25], 4, { engine: 'host', batchSize: 2 });
  assert.equal(dev.points[0].d, host.points[0].d);
  const rel = Math.abs(dev.points[0].ppl - host.points[0].ppl) / host.points[0].ppl;
  assert.ok(rel < 1e-5, `device ${dev.points[0].ppl} vs host ${host.points[0].ppl}`);
});
