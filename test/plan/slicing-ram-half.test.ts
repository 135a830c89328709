// On a GPU EP the slicing job holds, beside the layer being rotated and the next one (read while its passes
// run), both layers' exact float16 forms for the uploads (core/runtime/half-weights.ts): the planner's RAM
// and the slice's preflight prediction count them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { slicingJobRam } from '../../core/plan/memory';
import { predictSlice } from '../../core/plan/predict';
import { published } from './configs';

test("the device engine's slicing RAM adds two layers' float16 forms; the host engine's does not", () => {
  const c = published('llama-2-7b-hf');
  const D = 4096;
  const I = 11008;
  const layer = 4 * D * D + 3 * D * I + 2 * D;
  const host = slicingJobRam(c, { nsamples: 128, seqlen: 2048 });
  const device = slicingJobRam(c, { nsamples: 128, seqlen: 2048, engine: 'device' });
  assert.equal(host.halfWeights, 0);
  assert.equal(device.halfWeights, 2 * layer * 2);
  assert.equal(device.total - host.total, 2 * layer * 2);
});

test("the slice's predicted peak RAM on a GPU EP includes the float16 forms of the layer and the prefetched one", () => {
  const c = published('llama-2-7b-hf');
  const p = predictSlice(c, { ep: 'webgpu', ratio: 0.25, nsamples: 128, seqlen: 2048 });
  assert.ok(p.basis.some((b) => b.includes('two layers of float32 weights and their float16 forms')));
});
