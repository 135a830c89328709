// Perplexity and zero-shot walks with their activations on the device from the embedding to the head
// (core/runtime/device-walk.ts): the same numbers as the walk through the host, nothing left on the device after
// it, even when cancelled mid-walk. On the CPU EP a resident runner runs the same device code path
// (`deviceActivations: true`; by default only a GPU EP's resident runner walks on the device).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openModel } from '../../core/model/source';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward, nextTokenTargets } from '../../core/runtime/forward';
import { windowsOf } from '../../core/runtime/perplexity';
import { deviceWalker } from '../../core/runtime/device-walk';
import { deviceTensorsHeld } from '../../core/runtime/transfer-count';
import { LoglikelihoodScorer } from '../../core/eval/loglikelihood';
import { CancelledError } from '../../core/base/job-context';
import { SHARED_MODELS } from '../shared';

const ids = Array.from({ length: 6 * 32 }, (_, i) => (i * 37 + 11) % 4000);

test('perplexity NLL with device activations equals the host walk (sequential and parallel blocks), nothing left held', async () => {
  for (const name of ['tiny-llama', 'tiny-phi']) {
    const src = await openModel(`${SHARED_MODELS}/${name}`);
    const windows = windowsOf(ids, 32);
    const targets = windows.map(nextTokenTargets);
    const run = async (deviceActivations: boolean) => {
      const runner = await createBlockRunner(src.arch, { resident: 'always' });
      const before = deviceTensorsHeld();
      const out = await forward(src, runner, windows, { targets, batch: 2, deviceActivations });
      const held = deviceTensorsHeld() - before;
      await runner.dispose();
      return { nll: out.nll!, held };
    };
    const host = await run(false);
    const device = await run(true);
    let worst = 0;
    for (let i = 0; i < host.nll.length; i++) if (!Number.isNaN(host.nll[i])) worst = Math.max(worst, Math.abs(device.nll[i] - host.nll[i]) / Math.abs(host.nll[i]));
    assert.ok(worst < 1e-6, `${name}: worst relative NLL difference ${worst}`);
    assert.ok(device.held <= host.held, `${name}: ${device.held} device tensors held after the device walk, ${host.held} after the host one`);
  }
});

test('zero-shot log-likelihoods with device activations equal the host walk', async () => {
  const src = await openModel(`${SHARED_MODELS}/tiny-llama`);
  const groups = Array.from({ length: 4 }, (_, g) =>
    Array.from({ length: 2 }, (_, r) => {
      const input = Array.from({ length: 18 + g * 5 + r }, (_, i) => (i * 13 + g * 7 + r + 5) % 4000);
      return { input, continuation: input.slice(-3) };
    }),
  );
  const run = async (deviceActivations: boolean) => {
    const runner = await createBlockRunner(src.arch, { resident: 'always' });
    const scorer = await LoglikelihoodScorer.create(src, runner, { deviceActivations, maxBatchRows: 4 });
    const scores = await scorer.scoreGroups(groups);
    await runner.dispose();
    return scores.flat().map((s) => s.loglik);
  };
  const host = await run(false);
  const device = await run(true);
  for (const [i, h] of host.entries()) assert.ok(Math.abs(device[i] - h) <= 1e-6 * Math.abs(h), `request ${i}: ${device[i]} vs ${h}`);
});

test('a walk cancelled mid-layer releases its device activations', async () => {
  const src = await openModel(`${SHARED_MODELS}/tiny-llama`);
  const windows = windowsOf(ids, 32);
  // What a finished walk leaves held on its runner (the RoPE tables and mask, until dispose).
  const done = await createBlockRunner(src.arch, { resident: 'always' });
  let before = deviceTensorsHeld();
  await forward(src, done, windows, { batch: 2, deviceActivations: true });
  const finished = deviceTensorsHeld() - before;
  await done.dispose();
  const runner = await createBlockRunner(src.arch, { resident: 'always' });
  before = deviceTensorsHeld();
  const ac = new AbortController();
  const ctx = {
    signal: ac.signal,
    progress(p: { layer?: number }) {
      if (p.layer === 0) ac.abort();
    },
    log() {},
  };
  await assert.rejects(forward(src, runner, windows, { batch: 2, deviceActivations: true, keepWeights: false, ctx }), CancelledError);
  await runner.releaseUploads();
  // Three batches of activations were on the device when the walk stopped: none of them is left.
  assert.ok(deviceTensorsHeld() - before <= finished, `${deviceTensorsHeld() - before} held after the cancelled walk, ${finished} after a finished one`);
  await runner.dispose();
});

test('only a resident runner walks on the device, and by default only on a GPU EP', async () => {
  const src = await openModel(`${SHARED_MODELS}/tiny-llama`);
  const fed = await createBlockRunner(src.arch);
  const resident = await createBlockRunner(src.arch, { resident: 'always' });
  assert.equal(deviceWalker(fed, true), null);
  assert.equal(deviceWalker(resident), null);
  assert.ok(deviceWalker(resident, true));
  await fed.dispose();
  await resident.dispose();
});
