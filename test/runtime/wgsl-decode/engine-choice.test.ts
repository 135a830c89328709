// The batch-1 decode engine choice (core/runtime/wgsl-decode/engine-choice.ts) on this machine's real
// runtime: ORT with its reason on the CPU EP, under SLICE_STUDIO_DECODE=ort, for an architecture the WGSL
// decoder does not run, or without a WebGPU adapter; SLICE_STUDIO_DECODE=wgsl refuses to fall back.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openAnyModel } from '../../../core/slicegpt/open';
import { loadDecodeWeights, planDecoding } from '../../../core/runtime/decode-step';
import { batch1Decoder, engineInfo, gemvFromEnv, releaseBatch1Decoder } from '../../../core/runtime/wgsl-decode/engine-choice';
import { wgslDecodeUnsupported } from '../../../core/runtime/wgsl-decode/support';
import { closeWgslDevice, wgslDevice } from '../../../core/hardware/webgpu-device';
import { sharedModel } from '../../shared';

after(() => closeWgslDevice());

async function withEnv<T>(value: string | undefined, f: () => Promise<T>): Promise<T> {
  const before = process.env.SLICE_STUDIO_DECODE;
  if (value === undefined) delete process.env.SLICE_STUDIO_DECODE;
  else process.env.SLICE_STUDIO_DECODE = value;
  try {
    return await f();
  } finally {
    if (before === undefined) delete process.env.SLICE_STUDIO_DECODE;
    else process.env.SLICE_STUDIO_DECODE = before;
  }
}

test('batch-1 decoding: ORT on the CPU EP and under SLICE_STUDIO_DECODE=ort, WGSL or the reason why not on the webgpu EP; =wgsl never falls back', async () => {
  const src = await openAnyModel(sharedModel('tiny-llama'));
  const w = await loadDecodeWeights(src);
  const plan = await planDecoding(src, w, 64, { ep: 'webgpu', vramGb: 8 });
  const cpu = await withEnv(undefined, () => batch1Decoder('cpu', src.arch, w, 64, plan));
  assert.deepEqual(engineInfo(cpu), { engine: 'ort', reason: 'the cpu EP decodes with ORT' });
  const forced = await withEnv('ort', () => batch1Decoder('webgpu', src.arch, w, 64, plan));
  assert.deepEqual(engineInfo(forced), { engine: 'ort', reason: 'SLICE_STUDIO_DECODE=ort' });
  const qwen3 = await withEnv(undefined, () => batch1Decoder('webgpu', { ...src.arch, qkNorm: true }, w, 64, plan));
  assert.deepEqual(engineInfo(qwen3), { engine: 'ort', reason: 'q/k head norms (Qwen3) are not in the WGSL decoder' });
  await assert.rejects(
    withEnv('wgsl', () => batch1Decoder('cpu', src.arch, w, 64, plan)),
    /SLICE_STUDIO_DECODE=wgsl, but the WGSL decoder cannot run: the cpu EP decodes with ORT/,
  );
  await assert.rejects(
    withEnv('fast', () => batch1Decoder('webgpu', src.arch, w, 64, plan)),
    /SLICE_STUDIO_DECODE must be ort, wgsl or auto/,
  );
  // webgpu, auto: the WGSL decoder where this machine has a WebGPU device (its tokens are checked on SwiftShader
  // by wgsl-decode.test.ts), else ORT with the device's reason.
  const dev = await wgslDevice();
  const auto = await withEnv(undefined, () => batch1Decoder('webgpu', src.arch, w, 64, plan));
  try {
    if ('unavailable' in dev) assert.deepEqual(engineInfo(auto), { engine: 'ort', reason: dev.unavailable });
    else {
      assert.equal(auto.engine, 'wgsl');
      if (auto.engine === 'wgsl') assert.equal((await auto.decoder.step(1, 0)).next >= 0, true);
    }
  } finally {
    await releaseBatch1Decoder(auto);
  }
});

test('the WGSL decoder runs the LLaMA family, OPT and phi, and refuses q/k head norms and heads over 256 wide', () => {
  const llama = { numHeads: 8, numKvHeads: 4, headDim: 32, rope: { theta: 1e4, rotaryDim: 32 }, activation: 'silu' as const, gatedMlp: true, parallelBlocks: false };
  assert.equal(wgslDecodeUnsupported(llama), null);
  assert.equal(wgslDecodeUnsupported({ ...llama, rope: null, activation: 'relu', gatedMlp: false }), null);
  assert.equal(wgslDecodeUnsupported({ ...llama, rope: { theta: 1e4, rotaryDim: 12 }, activation: 'gelu_new', parallelBlocks: true }), null);
  assert.match(wgslDecodeUnsupported({ ...llama, qkNorm: true }) ?? '', /Qwen3/);
  assert.match(wgslDecodeUnsupported({ ...llama, headDim: 512, rope: { theta: 1e4, rotaryDim: 512 } }) ?? '', /head dimension 512/);
  assert.match(wgslDecodeUnsupported({ ...llama, rope: { theta: 1e4, rotaryDim: 7 } }) ?? '', /rotary dimension 7/);
});

test('SLICE_STUDIO_DECODE_GEMV sets the GEMV shape as LANESxROWS, checked', () => {
  assert.equal(gemvFromEnv(undefined), undefined);
  assert.equal(gemvFromEnv(' '), undefined);
  assert.deepEqual(gemvFromEnv('64x4'), { lanes: 64, rows: 4 });
  assert.deepEqual(gemvFromEnv(' 16 X 2 '), { lanes: 16, rows: 2 });
  assert.throws(() => gemvFromEnv('fast'), /LANESxROWS/);
  assert.throws(() => gemvFromEnv('48x2'), /power of two/);
  assert.throws(() => gemvFromEnv('64x8'), /≤ 256/);
});
