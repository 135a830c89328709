// The inference plan: host on the CPU, resident on a GPU EP when weights + KV cache (+ ORT's workspace) fit
// the VRAM budget, streamed when not; float16 by default on a GPU only. LLaMA-2-7B's shapes, budgets given.
// 7B, 16 rows × 161 positions of cache: (6.74e9 weights + 2·32·32·128·2576 cache) × 2 bytes × 1.25 = 18.5 GB.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planInference, planPasses, runnerOptionsFor, passRunnerOptions } from '../../core/runtime/inference-plan';
import { openModel } from '../../core/model/source';
import { SHARED_MODELS } from '../shared';
import { countParameters } from '../../core/model/param-count';

const shape = { numLayers: 32, numKvHeads: 32, headDim: 128 };
const seven = { parameters: 6_738_415_616, shape, cachePositions: 16 * 161 };

test('a 7B model on an 80 GB GPU is resident in float16 by default; float32 too; the CPU keeps it in host memory', async () => {
  const f16 = await planInference({ ...seven, ep: 'webgpu', vramGb: 72 });
  assert.equal(f16.placement, 'resident');
  assert.equal(f16.dtype, 'f16');
  assert.match(f16.reason, /^resident on the webgpu device \(f16\): 18\.5 GB needed of 72\.0 GB$/);
  assert.equal((await planInference({ ...seven, ep: 'webgpu', vramGb: 72, dtype: 'f32' })).placement, 'resident');
  const cpu = await planInference({ ...seven, ep: 'cpu' });
  assert.deepEqual([cpu.placement, cpu.dtype, cpu.budgetBytes], ['host', 'f32', null]);
});

test('a model over the VRAM budget streams its layers, and says by how much', async () => {
  const p = await planInference({ ...seven, ep: 'webgpu', vramGb: 12 });
  assert.equal(p.placement, 'streamed');
  assert.match(p.reason, /^layers streamed to the webgpu device \(f16\): 18\.5 GB needed, over the 12\.0 GB budget$/);
  assert.deepEqual(runnerOptionsFor('webgpu', p), { ep: 'webgpu' });
  assert.deepEqual(passRunnerOptions('webgpu', p), { ep: 'webgpu' });
});

test('a resident plan asks the runner for resident decoding in its element type', async () => {
  const p = await planInference({ ...seven, ep: 'webgpu', vramGb: 72 });
  assert.deepEqual(runnerOptionsFor('webgpu', p), { ep: 'webgpu', resident: true, decoding: true, passDtype: 'f16' });
  assert.deepEqual(passRunnerOptions('webgpu', p), { ep: 'webgpu', resident: true, passDtype: 'f16' });
});

test('layer-major passes leave room for the activations their walk keeps on the device: 1 GiB of float32, half in float16', async () => {
  const { config } = await openModel(`${SHARED_MODELS}/tiny-llama`);
  for (const dtype of ['f32', 'f16'] as const) {
    const pass = await planPasses(config, { ep: 'webgpu', dtype, vramGb: 72 });
    const weights = Math.round(countParameters(config) * (dtype === 'f16' ? 2 : 4) * 1.25);
    assert.equal(pass.neededBytes - weights, dtype === 'f16' ? 2 ** 29 : 2 ** 30);
  }
  // 1 GB of budget: tiny-llama's weights fit, its float32 walk's activations (1.07 GB) do not.
  assert.equal((await planPasses(config, { ep: 'webgpu', dtype: 'f32', vramGb: 1 })).placement, 'streamed');
  assert.equal((await planPasses(config, { ep: 'webgpu', dtype: 'f16', vramGb: 1 })).placement, 'resident');
});
