// One copy of the weights on the device at a time on the webgpu EP, for real: ORT's WebGPU EP and the WGSL decoder's
// Dawn for Node on SwiftShader's Vulkan ICD (Debian's chromium package ships it; VK_DRIVER_FILES is pointed at it
// here where it is not set). The speed bench's shapes run ORT's first, dispose ORT's runner (device tensors, then
// sessions) and only then let the WGSL decoder upload its copy; `generate` on webgpu makes no ORT runner beside the
// decoder. One Dawn device serves both models of a process (no close and reopen between them). The GEMV runs at
// 8 × 8 (SwiftShader's cost grows with its threads; the kernels' results are wgsl-decode.test.ts's business).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../../core/base/job-context';
import { sliceModel } from '../../../core/slicegpt/slice-model';
import { openAnyModel } from '../../../core/slicegpt/open';
import { createBlockRunner } from '../../../core/runtime/runner';
import { loadDecodeWeights, planDecoding } from '../../../core/runtime/decode-step';
import { runnerOptionsFor } from '../../../core/runtime/inference-plan';
import { measureShapes, speedShapes } from '../../../core/eval/speed';
import { generateIds, generateSideBySide } from '../../../core/runtime/generate';
import { buildPrompt } from '../../../core/runtime/prompt';
import { loadTokenizer } from '../../../core/model/tokenizer';
import { deviceTensorsHeld } from '../../../core/runtime/transfer-count';
import { closeWgslDevice, wgslDevice } from '../../../core/hardware/webgpu-device';
import { modelPath, sliceOptions } from '../../slicegpt/helpers';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
if (!process.env.VK_DRIVER_FILES && existsSync(SWIFTSHADER_ICD)) process.env.VK_DRIVER_FILES = SWIFTSHADER_ICD;
process.env.SLICE_STUDIO_DECODE_GEMV ??= '8x8';

const dense = modelPath('tiny-llama');
let dir = '';
let sliced = '';
let noDevice: string | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'one-copy-'));
  sliced = join(dir, 'sliced');
  await sliceModel(quietContext(), sliceOptions(dense, sliced, { nsamples: 2, seqlen: 64 }));
  const dev = await wgslDevice();
  if ('unavailable' in dev) noDevice = `no WebGPU device for the WGSL decoder: ${dev.unavailable} (apt-get install -y libvulkan1 chromium)`;
});
after(async () => {
  await closeWgslDevice();
  rmSync(dir, { recursive: true, force: true });
});

test("the speed bench's shapes on webgpu hold one copy of the weights at a time: ORT's shapes, ORT's runner disposed, then the WGSL decoder — tiny-llama then its slice on one Dawn device", async (t) => {
  if (noDevice) return t.skip(noDevice);
  const device = wgslDevice();
  for (const folder of [dense, sliced]) {
    const src = await openAnyModel(folder);
    const w = await loadDecodeWeights(src);
    const s = speedShapes(src.config.maxPositions, { promptTokens: 8, prefillBatch: 2, decodePrompt: 4, decodeBatch: 2, newTokens: 2, repeats: 1 });
    // float32: SwiftShader's Vulkan offers ORT's WebGPU EP no shader-f16.
    const plan = await planDecoding(src, w, 64, { ep: 'webgpu', vramGb: 8, dtype: 'f32' });
    assert.equal(plan.placement, 'resident');
    const before = deviceTensorsHeld();
    const runner = await createBlockRunner(src.arch, runnerOptionsFor('webgpu', plan));
    let out;
    try {
      out = await measureShapes(quietContext(), runner, w, s, 'throw', { wgsl: { arch: src.arch, plan } });
    } finally {
      await runner.dispose();
    }
    assert.equal(deviceTensorsHeld() - before, 0, `${folder}: device tensors left after the model`);
    // Results as before: batch 1 first in the output, WGSL's, and every shape timed.
    assert.deepEqual(
      out.decode.map((d) => [d.batch, d.engine, d.msPerToken! > 0]),
      [
        [1, 'wgsl', true],
        [2, 'ort', true],
      ],
    );
    assert.equal(out.decodeEngine?.engine, 'wgsl');
    assert.ok(out.prefill.every((p) => p.tokensPerSecond! > 0));
    // Which engine held what, in the order run: ORT's resident weights through its shapes, nothing after its
    // release, the WGSL decoder's copy alone while it decodes.
    assert.deepEqual(Object.keys(out.held), ['prefill:1', 'prefill:2', 'decode:2', 'release', 'decode:1']);
    for (const p of ['prefill:1', 'prefill:2', 'decode:2']) {
      assert.ok(out.held[p].ortDeviceTensors - before > 0, `${p}: ORT's weights held`);
      assert.equal(out.held[p].wgslMB, 0, p);
    }
    assert.equal(out.held.release.ortDeviceTensors - before, 0);
    assert.equal(out.held['decode:1'].ortDeviceTensors - before, 0, 'no ORT device tensor beside the WGSL decoder');
    assert.ok(out.held['decode:1'].wgslMB > 0);
  }
  assert.equal(wgslDevice(), device, 'the WGSL device was not closed and reopened between the models');
});

test('generate on webgpu decodes with WGSL alone (no ORT device tensor), its tokens those of ORT on the CPU, dense and sliced side by side', async (t) => {
  if (noDevice) return t.skip(noDevice);
  const before = deviceTensorsHeld();
  const prompt = 'The quick brown fox';
  const [a, b] = await generateSideBySide([await openAnyModel(dense), await openAnyModel(sliced)], {
    prompt,
    maxNewTokens: 8,
    ep: 'webgpu',
    dtype: 'f32',
    vramGb: 8,
    stopIds: [],
    chat: false,
    onToken: () => assert.equal(deviceTensorsHeld() - before, 0),
  });
  assert.deepEqual([a.decodeEngine?.engine, b.decodeEngine?.engine], ['wgsl', 'wgsl']);
  for (const [folder, r] of [
    [dense, a],
    [sliced, b],
  ] as const) {
    const src = await openAnyModel(folder);
    const ids = buildPrompt(src, await loadTokenizer(folder), prompt, { chat: false, maxNewTokens: 8 }).ids;
    const runner = await createBlockRunner(src.arch, { ep: 'cpu' });
    try {
      assert.deepEqual(r.ids, (await generateIds(src, runner, ids, { maxNewTokens: 8, stopIds: [] })).ids, folder);
    } finally {
      await runner.dispose();
    }
  }
  assert.equal(deviceTensorsHeld() - before, 0);
});
