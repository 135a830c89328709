// The recovery's loss curve as the Recover step and the compare view draw it: from the live progress
// payloads or the stored rows, one point per step in step order, the newest value of a step repeated by a resume.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lossFromProgress, lossFromRun } from '../../renderer/src/lib/loss-curve';

test('loss curve: progress payloads and stored train-loss rows give one point per step, in order, the newest value winning', () => {
  const live = [{ step: 1, loss: 3 }, { task: 'piqa' }, { step: 2, loss: 2.5 }, { step: 2, loss: 2.4 }, { step: 3, loss: 2.2, tokensPerSecond: 900 }];
  assert.deepEqual(lossFromProgress(live), [
    { step: 1, loss: 3 },
    { step: 2, loss: 2.4 },
    { step: 3, loss: 2.2 },
  ]);
  const rows = [
    { layer: 2, phase: 'train-loss', dims: { loss: 2.5, lr: 1e-3, gradNorm: 1 } },
    { layer: 0, phase: 'attention', dims: null },
    { layer: 1, phase: 'train-loss', dims: { loss: 3, lr: 0, gradNorm: 2 } },
  ];
  assert.deepEqual(lossFromRun(rows), [
    { step: 1, loss: 3 },
    { step: 2, loss: 2.5 },
  ]);
});
