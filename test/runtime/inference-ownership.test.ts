// The ownership rule of device tensors (core/runtime/device.ts releaseTensor) on the inference paths: the speed
// bench's measurement (dense then its slice in one process, as `bench infer-speed` runs them), perplexity,
// zero-shot and generation on resident placement release every device tensor they made before their runner's
// sessions go — on ORT's WebGPU EP one freed later (by the GC) frees into a destroyed context (SIGSEGV). Checked
// on the CPU EP running the device code path (`resident: 'always'`), which counts the tensors a GPU EP would
// have left on the device (transfer-count.ts deviceTensorsHeld), in float32 and float16.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quietContext } from '../../core/base/job-context';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { openAnyModel } from '../../core/slicegpt/open';
import { createBlockRunner, type OrtRunner } from '../../core/runtime/runner';
import { greedyDecode, loadDecodeWeights, planDecoding } from '../../core/runtime/decode-step';
import { measureShapes, speedShapes } from '../../core/eval/speed';
import { perplexityOfIds } from '../../core/runtime/perplexity';
import { generateIds } from '../../core/runtime/generate';
import { evaluate } from '../../core/eval/evaluate';
import { loadTokenizer } from '../../core/model/tokenizer';
import { deviceTensorsHeld } from '../../core/runtime/transfer-count';
import { modelPath, sliceOptions } from '../slicegpt/helpers';

const dense = modelPath('tiny-llama');
let dir = '';
let sliced = '';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'infer-ownership-'));
  sliced = join(dir, 'sliced');
  await sliceModel(quietContext(), sliceOptions(dense, sliced, { nsamples: 2, seqlen: 64 }));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Device tensors still held after `use` ran on a fresh resident runner and the runner was disposed. */
async function heldAfter(folder: string, passDtype: 'f32' | 'f16', decoding: boolean, use: (r: OrtRunner) => Promise<unknown>): Promise<number> {
  const src = await openAnyModel(folder);
  const before = deviceTensorsHeld();
  const runner = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', decoding, passDtype });
  try {
    await use(runner);
  } finally {
    await runner.dispose();
  }
  return deviceTensorsHeld() - before;
}

for (const passDtype of ['f32', 'f16'] as const) {
  test(`the speed bench's shapes on tiny-llama then its 25 % slice (${passDtype}, resident decoding) leave no device tensor after each model`, async () => {
    for (const folder of [dense, sliced]) {
      const src = await openAnyModel(folder);
      const w = await loadDecodeWeights(src);
      const s = speedShapes(src.config.maxPositions, { promptTokens: 16, prefillBatch: 2, decodePrompt: 4, decodeBatch: 3, newTokens: 3, repeats: 1 });
      const plan = await planDecoding(src, w, 64, { ep: 'cpu', dtype: passDtype });
      const held = await heldAfter(folder, passDtype, true, async (r) => {
        const out = await measureShapes(quietContext(), r, w, s, 'throw', { wgsl: { arch: src.arch, plan } });
        assert.equal(out.decode.length, 2);
        // The CPU EP decodes with ORT: shapes in their usual order, ORT's copy the only one (no release, no WGSL).
        assert.deepEqual(Object.keys(out.held), ['prefill:1', 'prefill:2', 'decode:1', 'decode:3']);
        for (const [p, h] of Object.entries(out.held)) assert.ok(h.ortDeviceTensors > 0 && h.wgslMB === 0, `${p}: ${JSON.stringify(h)}`);
      });
      assert.equal(held, 0, folder);
    }
  });

  test(`perplexity and zero-shot on resident placement (${passDtype}; float16 rounds host activations on the device) release every device tensor`, async () => {
    for (const folder of [dense, sliced]) {
      const src = await openAnyModel(folder);
      const ids = Int32Array.from({ length: 130 }, (_, i) => (i * 37 + 5) % src.config.vocabSize);
      assert.equal(await heldAfter(folder, passDtype, false, (r) => perplexityOfIds(src, r, ids, { seqLen: 64 })), 0, `perplexity of ${folder}`);
      const tokenizer = await loadTokenizer(folder);
      assert.equal(await heldAfter(folder, passDtype, false, (r) => evaluate(quietContext(), { model: folder, tasks: 'piqa', limit: 2 }, { source: src, tokenizer, runner: r })), 0, `zero-shot of ${folder}`);
    }
  });
}

test('generation on resident decoding releases its KV cache, activations and head rows', async () => {
  const src = await openAnyModel(sliced);
  const held = await heldAfter(sliced, 'f16', true, async (r) => {
    const g = await generateIds(src, r, [1, 2, 3, 4], { maxNewTokens: 5, stopIds: [] });
    assert.equal(g.ids.length, 5);
  });
  assert.equal(held, 0);
});

test('a decoding pass that fails mid-model frees the activations and caches it held (a failed bench shape)', async () => {
  const src = await openAnyModel(dense);
  const w = await loadDecodeWeights(src);
  // Layer 1 of the slice is narrower than the dense model's activations: the pass fails after layer 0 ran.
  const bad = { ...w, layers: [w.layers[0], (await loadDecodeWeights(await openAnyModel(sliced))).layers[1]] };
  const held = await heldAfter(dense, 'f32', true, async (r) => {
    await assert.rejects(greedyDecode(r, bad, Int32Array.of(1, 2, 3, 4), 1, 2));
    assert.equal(deviceTensorsHeld() > 0, true, 'the resident weights stay until dispose');
  });
  assert.equal(held, 0);
});

test("a disposed resident runner decodes again, the same tokens (the speed bench's ORT fallback after it released ORT's copy for the WGSL decoder)", async () => {
  const src = await openAnyModel(sliced);
  const w = await loadDecodeWeights(src);
  const before = deviceTensorsHeld();
  const runner = await createBlockRunner(src.arch, { ep: 'cpu', resident: 'always', decoding: true, passDtype: 'f16' });
  try {
    const first = await greedyDecode(runner, w, Int32Array.of(1, 2, 3, 4), 1, 6);
    await runner.dispose();
    assert.equal(deviceTensorsHeld() - before, 0, 'disposed: nothing held');
    assert.deepEqual(await greedyDecode(runner, w, Int32Array.of(1, 2, 3, 4), 1, 6), first);
  } finally {
    await runner.dispose();
  }
  assert.equal(deviceTensorsHeld() - before, 0);
});
