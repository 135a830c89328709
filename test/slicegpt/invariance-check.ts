// The invariance check, for the shared models (invariance.test.ts) and the tiny Phi-3 (phi3.test.ts).
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import { rotateAndSlice } from '../../core/slicegpt/rotate-and-slice';
import { makeSchedule } from '../../core/slicegpt/schedule';
import { quietContext } from '../../core/base/job-context';
import { MemorySink, logitsOf, randomOrthogonal, relativeError, tokenWindows, withRunner } from './helpers';

// Computational invariance: with every signal rotated by a DIFFERENT random orthogonal matrix (so every
// shortcut is a non-trivial Q_aᵀ·Q_b) and nothing sliced, the fused-and-rotated model computes the same function.
export async function checkInvariance(folder: string): Promise<void> {
  const src = await openModel(folder);
  const D = src.config.hiddenSize;
  const cal = tokenWindows(src.config.vocabSize, 2, 32, 11);
  const ids = new Int32Array(2 * 32);
  cal.forEach((w, i) => ids.set(w, i * 32));
  let k = 0;
  const sink = new MemorySink();
  await withRunner(src, async (runner) => {
    await rotateAndSlice(quietContext(), {
      source: src,
      runner,
      calibration: { ids, nsamples: 2, seqlen: 32 },
      schedule: makeSchedule({ hiddenSize: D, layers: src.config.numLayers, parallelBlocks: src.config.parallelBlocks, ratio: 0 }),
      sink,
      batchSize: 2,
      scratch: join(tmpdir(), 'slice-invariance'),
      ramBudgetBytes: 2 ** 30,
      rotations: async () => ({ q: randomOrthogonal(D, 1000 + k++) }),
    });
    const windows = tokenWindows(src.config.vocabSize, 2, 40);
    const err = relativeError(await logitsOf(sink.source(src), runner, windows), await logitsOf(src, runner, windows));
    assert.ok(err < 1e-5, `relative logit error ${err}`);
  });
  assert.equal(k, 1 + src.config.numLayers * (src.config.parallelBlocks ? 1 : 2), 'one rotation per signal');
}
