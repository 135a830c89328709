// The ownership rule of device tensors (core/runtime/device.ts releaseTensor): every tensor a device code path
// makes is released by its owner before the sessions are — on ORT's WebGPU EP a tensor freed after the
// process's last WebGPU session is released frees into a destroyed context (SIGSEGV, reproduced on SwiftShader).
// Checked here on the CPU EP, which runs the same code paths (`resident: 'always'`) and counts the tensors a GPU
// EP would have left on the device (transfer-count.ts deviceTensorsHeld).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import { deviceEngine } from '../../core/slicegpt/engine';
import { loadDecodeWeights } from '../../core/runtime/decode-step';
import { profileDecoding } from '../../core/runtime/decode-profile';
import { deviceTensorsHeld } from '../../core/runtime/transfer-count';
import { modelPath, randomOrthogonal, sliceOptions } from './helpers';

for (const [name, passDtype] of [
  ['tiny-llama', 'f32'],
  ['tiny-opt', 'f16'],
] as const) {
  test(`slicing ${name} with the device engine (${passDtype} passes) releases every device tensor it made, the last layer's rotation included`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ownership-'));
    try {
      const before = deviceTensorsHeld();
      await sliceModel(quietContext(), sliceOptions(modelPath(name), join(dir, 'out'), { nsamples: 2, seqlen: 64, engine: 'device', passDtype, dtype: 'float32' }));
      assert.equal(deviceTensorsHeld() - before, 0);
      // The slice decodes on the device path (KV cache, RoPE tables, uploaded weights) and releases all of it too.
      const src = await openAnyModel(join(dir, 'out'));
      const runner = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', decoding: true, passDtype });
      await profileDecoding(runner, await loadDecodeWeights(src), Int32Array.of(1, 2, 3), 1, 3);
      await runner.dispose();
      assert.equal(deviceTensorsHeld() - before, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test("the device engine keeps the last rotation across endLayer (the next layer's Q) and frees it on close", async () => {
  const src = await openModel(modelPath('tiny-llama'));
  const runner = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', passDtype: 'f32' });
  const engine = deviceEngine(runner);
  const n = src.config.hiddenSize;
  const before = deviceTensorsHeld();
  const y = await engine.rotate(new Float32Array(2 * n).fill(1), 1, 2, randomOrthogonal(n, 3), n, n - 8);
  engine.release(y);
  await engine.endLayer();
  assert.equal(deviceTensorsHeld() - before, 1, 'Q[:, :k] stays for the next layer');
  await engine.close();
  assert.equal(deviceTensorsHeld() - before, 0);
  await runner.dispose();
});
