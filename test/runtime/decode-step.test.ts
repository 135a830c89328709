// Resident decoding (weights uploaded once, activations and the KV cache fed back from the device) is
// checked here on the CPU EP, where `resident: 'always'` runs the device code path: the same logits as
// weights fed per run, on a dense model and on a 25 % slice (shortcut products included), and the KV-cache
// steps equal a full recomputation of the sequence. float16 decoding stays within its stated tolerance.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAnyModel } from '../../core/slicegpt/open';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { quietContext } from '../../core/base/job-context';
import { createBlockRunner, type OrtRunner, type RunnerOptions } from '../../core/runtime/runner';
import { forwardCached, headLogits, LayerCaches, loadDecodeWeights, type DecodeWeights } from '../../core/runtime/decode-step';
import type { ModelSource } from '../../core/model/model-source';
import { modelPath, sliceOptions } from '../slicegpt/helpers';

const PROMPT = Int32Array.from([1, 450, 1955, 310, 278, 3303, 338]);
let dir: string;
let sliced: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'decode-step-'));
  sliced = join(dir, 'tiny-llama-25');
  await sliceModel(quietContext(), sliceOptions(modelPath('tiny-llama'), sliced));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Logits of the prompt pass and of `steps` greedy cached steps after it, with a runner of the given options. */
async function decodeLogits(src: ModelSource, w: DecodeWeights, opts: RunnerOptions, steps: number, prompt = PROMPT): Promise<Float32Array[]> {
  const r: OrtRunner = await createBlockRunner(src.arch, opts);
  const caches = new LayerCaches(w.layers.length);
  try {
    const out = [await headLogits(r, w.head, await forwardCached(r, w, prompt, 1, prompt.length, 0, caches), 1)];
    for (let i = 0; i < steps; i++) {
      const last = out[out.length - 1];
      const next = last.indexOf(Math.max(...last));
      out.push(await headLogits(r, w.head, await forwardCached(r, w, Int32Array.of(next), 1, 1, prompt.length + i, caches), 1));
    }
    return out;
  } finally {
    caches.release();
    await r.dispose();
  }
}

/** Largest |a − b| relative to the largest |a|. */
function relDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    m = Math.max(m, Math.abs(a[i]));
  }
  return d / m;
}

const RESIDENT: RunnerOptions = { ep: 'cpu', resident: 'always', decoding: true };

for (const which of ['dense', 'sliced 25 %'] as const) {
  test(`${which}: resident decoding (weights, activations and KV cache kept by the runner) gives the fed mode's logits`, async () => {
    const src = await openAnyModel(which === 'dense' ? modelPath('tiny-llama') : sliced);
    const w = await loadDecodeWeights(src);
    const fed = await decodeLogits(src, w, { ep: 'cpu' }, 5);
    const res = await decodeLogits(src, w, RESIDENT, 5);
    for (let i = 0; i < fed.length; i++) assert.ok(relDiff(fed[i], res[i]) < 1e-5, `step ${i}: ${relDiff(fed[i], res[i])}`);
  });
}

test('resident decoding: each cached step equals recomputing the whole sequence without a cache', async () => {
  const src = await openAnyModel(sliced);
  const w = await loadDecodeWeights(src);
  const steps = await decodeLogits(src, w, RESIDENT, 4);
  // Rebuild the sequence the steps decoded and run it in one prompt pass (past 0: nothing cached).
  const seq = [...PROMPT];
  for (let i = 0; i < 4; i++) seq.push(steps[i].indexOf(Math.max(...steps[i])));
  const full = await decodeLogits(src, w, RESIDENT, 0, Int32Array.from(seq));
  assert.ok(relDiff(full[0], steps[4]) < 1e-5, `${relDiff(full[0], steps[4])}`);
});

test('float16 resident decoding stays within 1 % of the float32 logits (relative to the largest logit) and agrees on the top token', async () => {
  const src = await openAnyModel(sliced);
  const w = await loadDecodeWeights(src);
  const f32 = await decodeLogits(src, w, RESIDENT, 3);
  const f16 = await decodeLogits(src, w, { ...RESIDENT, passDtype: 'f16' }, 3);
  for (let i = 0; i < f32.length; i++) {
    assert.ok(relDiff(f32[i], f16[i]) < 1e-2, `step ${i}: ${relDiff(f32[i], f16[i])}`);
    assert.equal(f16[i].indexOf(Math.max(...f16[i])), f32[i].indexOf(Math.max(...f32[i])), `step ${i}`);
  }
});
