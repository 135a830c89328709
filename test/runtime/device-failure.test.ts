// Issue #14, bad input: "a GPU lost mid-run (one line, CPU fallback offered)". A GPU cannot be lost on this
// machine, so the recognition is pinned on the lines the execution providers write when it happens (WebGPU's
// device-lost callback, DirectML's device-removed HRESULT, CUDA's sticky failures after a reset): each becomes
// one line offering --ep cpu; anything else passes through untouched. (Out of memory is provoked for real in
// decode-oom.test.ts.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inferenceFailure } from '../../core/runtime/device-failure';
import { isUserError, userMessage } from '../../core/base/user-error';

const ort = (first: string) => new Error(`${first}\n    at OnnxruntimeSessionHandler.run (node_modules/onnxruntime-node/dist/backend.js:1:1)`);

test('a lost GPU mid-run is one user-error line naming the EP and offering --ep cpu, with the ORT error as its cause', () => {
  for (const [ep, line, said] of [
    ['webgpu', 'WebGPU device lost (Destroyed): Device was destroyed.', 'WebGPU device lost (Destroyed): Device was destroyed.'],
    [
      'dml',
      '[E:onnxruntime:, sequential_executor.cc:516 ExecuteKernel] Non-zero status code returned while running MatMul node. The GPU device instance has been suspended. Use GetDeviceRemovedReason (0x887A0005)',
      'Non-zero status code returned while running MatMul node. The GPU device instance has been suspended. Use GetDeviceRemovedReason (0x887A0005)',
    ],
    ['cuda', 'CUDA failure 999: unknown error ; GPU=0 ; expr=cudaStreamSynchronize(stream);', 'CUDA failure 999: unknown error ; GPU=0 ; expr=cudaStreamSynchronize(stream);'],
  ] as const) {
    const cause = ort(line);
    const e = inferenceFailure(ep, cause, 1, 12) as Error;
    assert.equal(e.name, 'DeviceLostError', line);
    assert.ok(isUserError(e));
    assert.equal(userMessage(e).message, `the GPU (${ep}) was lost mid-run (${said}): run on the CPU instead (--ep cpu), or again once the GPU is back`);
    assert.equal(e.cause, cause);
  }
});

test('errors that are not the device failing pass through as they are (a bug stays a bug)', () => {
  const bug = new TypeError('cannot read properties of undefined');
  assert.equal(inferenceFailure('webgpu', bug, 1, 1), bug);
  // a CPU run has no GPU to lose: a message that merely mentions it is not rewritten
  const cpu = ort('CUDA failure 999: unknown error');
  assert.equal(inferenceFailure('cpu', cpu, 1, 1), cpu);
});
