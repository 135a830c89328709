// The llama.cpp speed measurement (core/export/llama-cpp-speed.ts) on real GGUF exports: tiny-llama dense and sliced
// 25 % with the uniform rotation, exported to F16 and timed on node-llama-cpp's CPU backend with small shapes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { exportGguf } from '../../core/export/gguf/index';
import { sliceUniform } from '../../core/slicegpt/uniform';
import { LlamaCppSpeedError, measureLlamaCppSpeed, releaseLlamaCppSpeed } from '../../core/export/llama-cpp-speed';
import { sharedModel } from '../shared';

const dir = mkdtempSync(join(tmpdir(), 'llama-cpp-speed-'));
const files = { dense: '', sliced: '' };
const shapes = { backend: 'cpu', promptTokens: 32, decodePrompt: 8, newTokens: 6, repeats: 2, threads: 1 } as const;

before(async () => {
  const model = sharedModel('tiny-llama');
  const s = await sliceUniform(quietContext(), { model, ratio: 0.25, cal: 'wikitext2', nsamples: 4, seqlen: 128, sampling: 'first', seed: 0, ep: 'cpu', round: 8, out: join(dir, 'sliced') });
  files.dense = (await exportGguf(quietContext(), { model, dtype: 'f16', out: join(dir, 'dense.gguf') })).file;
  files.sliced = (await exportGguf(quietContext(), { model: s.out, dtype: 'f16', out: join(dir, 'sliced.gguf') })).file;
});
after(async () => {
  await releaseLlamaCppSpeed();
  rmSync(dir, { recursive: true, force: true });
});

test('llama.cpp times prefill and exactly `newTokens` greedy decode steps of the dense and the sliced GGUF on the CPU backend', async (t) => {
  const dense = await measureLlamaCppSpeed(files.dense, shapes);
  const sliced = await measureLlamaCppSpeed(files.sliced, shapes);
  t.diagnostic(JSON.stringify({ dense: [dense.prefill.tokensPerSecond, dense.decode.msPerToken], sliced: [sliced.prefill.tokensPerSecond, sliced.decode.msPerToken] }));
  for (const r of [dense, sliced]) {
    assert.equal(r.backend, 'cpu');
    assert.equal(r.runtime.gpu, false);
    assert.deepEqual(r.runtime.devices, []);
    assert.match(r.runtime.nodeLlamaCpp, /^\d+\.\d+\.\d+$/);
    assert.equal(r.gpuLayers, 0);
    assert.equal(r.prefill.promptTokens, 32);
    assert.equal(r.prefill.runs.length, 2);
    assert.ok(r.prefill.tokensPerSecond > 0 && Number.isFinite(r.prefill.tokensPerSecond));
    assert.equal(r.prefill.seconds, Math.min(...r.prefill.runs), 'of two runs, the faster');
    assert.equal(r.decode.steps, 6);
    assert.equal(r.decode.ids.length, 6, 'every requested token decoded (no EOS stop)');
    assert.ok(r.decode.msPerToken > 0 && r.decode.tokensPerSecond > 0);
    assert.ok(Math.abs(r.decode.tokensPerSecond * r.decode.msPerToken - 1000) < 1e-6);
    assert.ok(r.context.contextSize >= 32 && r.context.batchSize >= 32);
  }
  assert.ok(sliced.width < dense.width, `sliced width ${sliced.width} < dense ${dense.width}`);
  assert.equal(sliced.layers, dense.layers);
});

test('a GPU backend either offloads every layer to a named device or is refused: never timed on the CPU in its name', async () => {
  // On a machine without a Vulkan device (this one) node-llama-cpp still loads its Vulkan binary, which would run
  // every layer on the CPU; with a device, the numbers name it.
  try {
    const r = await measureLlamaCppSpeed(files.sliced, { ...shapes, backend: 'vulkan', repeats: 1 });
    assert.equal(r.runtime.gpu, 'vulkan');
    assert.ok(r.runtime.devices.length > 0);
    assert.equal(r.gpuLayers, r.layers);
  } catch (e) {
    assert.ok(e instanceof LlamaCppSpeedError, String(e));
    assert.match(e.message, /vulkan/);
  }
});

test('bad shapes and backends are refused before anything loads', async () => {
  await assert.rejects(measureLlamaCppSpeed(files.dense, { ...shapes, newTokens: 0 }), LlamaCppSpeedError);
  await assert.rejects(measureLlamaCppSpeed(files.dense, { ...shapes, backend: 'metal' as never }), /backend must be one of cpu, vulkan, cuda/);
});
