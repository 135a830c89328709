// Dropout masks drawn one block at a time (maskSource) are the masks drawn all at once (dropoutMasks, what
// the job drew for every layer before): byte for byte, in any order of asking; and the layer-streamed step,
// which asks block by block (again for each block's backward), gives byte-identical loss and gradients to
// the same step fed every mask drawn up front — so a run's loss curve and merged weights are today's.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { SlicedModelSource, tensorNames } from '../../core/slicegpt/sliced-source';
import { initAdaptersFromShapes, type LoraAdapter } from '../../core/recover/lora';
import { StreamedStep, streamedModel, streamedShapes } from '../../core/recover/streamed-step';
import { dropoutMasks, maskSeed, maskSource, type MaskSource } from '../../core/recover/dropout';
import { stepBatches, trainingSet } from '../../core/recover/data';
import { loadTokenizer } from '../../core/model/tokenizer';
import { openDataset } from '../../core/data/open';
import { quietContext } from '../../core/base/job-context';
import { mulberry32 } from '../../core/data/prng';
import { sharedModel } from '../shared';

const B = 2;
const S = 16;
const P = 0.1;
const SEED = 5;
const bytes = (f: Float32Array): Buffer => Buffer.from(f.buffer, f.byteOffset, f.byteLength);
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'rft-drop-block-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The masks as the job drew them before (every adapter at once, `mulberry32(seed)() < p` per entry). */
const previous = (adapters: LoraAdapter[], rows: number, step: number, micro: number): Float32Array[] =>
  adapters.map((a, i) => {
    const rng = mulberry32(maskSeed(SEED, step, micro, i));
    const m = new Float32Array(rows * a.inF);
    for (let j = 0; j < m.length; j++) m[j] = rng() < P ? 0 : 1 / (1 - P);
    return m;
  });

test('masks drawn one adapter at a time, in reverse order, are byte-identical to the masks drawn all at once, and to the previous all-layers draw', () => {
  const adapters: LoraAdapter[] = [64, 48, 64, 96].map((inF, i) => ({ key: `a${i}`, layer: i >> 1, role: i % 2 ? 'k' : 'q', inF, outF: 4, A: new Float32Array(2 * inF), B: new Float32Array(8) }));
  for (const [step, micro] of [
    [0, 0],
    [3, 1],
  ]) {
    const all = dropoutMasks(adapters, 32, P, SEED, step, micro);
    const one = maskSource(adapters, 32, P, SEED, step, micro);
    previous(adapters, 32, step, micro).forEach((m, i) => assert.ok(bytes(m).equals(bytes(all[i])), `adapter ${i}: the previous draw`));
    for (let i = adapters.length - 1; i >= 0; i--) assert.ok(bytes(one(adapters[i])).equals(bytes(all[i])), `adapter ${i}, step ${step}, micro-batch ${micro}`);
  }
});

test('tiny-llama 25 %: the streamed step asks for one block’s masks at a time and gives the loss and gradients, bit for bit, of the masks drawn all at once', async () => {
  const out = join(dir, 'tiny-llama');
  await sliceModel(quietContext(), { model: sharedModel('tiny-llama'), ratio: 0.25, cal: 'wikitext2', nsamples: 4, seqlen: 64, sampling: 'first', seed: 0, round: 8, sliceHead: false, out, ep: 'cpu', resume: false, dtype: 'float32' });
  const src = await SlicedModelSource.create(out);
  const adapters = initAdaptersFromShapes(await streamedShapes(src), { rank: 4, alpha: 8 }, tensorNames(src.config), 3);
  // B ≠ 0, so every adapter's gradient depends on its mask.
  const rng = mulberry32(11);
  for (const a of adapters) for (let i = 0; i < a.B.length; i++) a.B[i] = (rng() * 2 - 1) * 0.05;
  const set = trainingSet(await loadTokenizer(out), await openDataset('wikitext2'), S, false);
  const step = new StreamedStep(await streamedModel(src), { batch: B, seq: S, scale: 2, dropout: true });
  try {
    for (const [micro, mb] of stepBatches(set, SEED, 2, B, 2).entries()) {
      const all = previous(adapters, B * S, 2, micro);
      const upFront: MaskSource = (a) => all[adapters.indexOf(a)];
      const asked: number[] = [];
      const perBlock = maskSource(adapters, B * S, P, SEED, 2, micro);
      const r1 = await step.run(mb, adapters, upFront);
      const r2 = await step.run(mb, adapters, (a) => (asked.push(a.layer), perBlock(a)));
      assert.ok(Number.isFinite(r1.loss));
      assert.equal(r2.loss, r1.loss, `micro-batch ${micro}: loss`);
      r1.grads.forEach((g, k) => {
        assert.ok(bytes(r2.grads[k].A).equals(bytes(g.A)), `micro-batch ${micro}: dL/dA of ${adapters[k].key}`);
        assert.ok(bytes(r2.grads[k].B).equals(bytes(g.B)), `micro-batch ${micro}: dL/dB of ${adapters[k].key}`);
      });
      // Forward 0 … L−1, then the backward L−1 … 0: each block's masks asked for together, and never kept
      // for the backward (asked again), so at most one block's masks are live.
      const L = src.config.numLayers;
      const perLayer = adapters.filter((a) => a.layer === 0).length;
      const order = [...Array.from({ length: L }, (_, i) => i), ...Array.from({ length: L }, (_, i) => L - 1 - i)].flatMap((l) => Array<number>(perLayer).fill(l));
      assert.deepEqual(asked, order);
    }
  } finally {
    await step.dispose();
  }
});
