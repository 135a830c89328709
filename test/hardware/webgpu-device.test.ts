// The process's WGSL device is opened once and kept (with Dawn's instance, whose collection would crash the
// device) until closeWgslDevice(), after which the next request opens a fresh one — a job's end releases it
// so that Node can exit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeWgslDevice, wgslDevice } from '../../core/hardware/webgpu-device';

test('the WGSL device is opened once per process until closed, then reopened on the next request', async () => {
  const first = wgslDevice();
  assert.equal(wgslDevice(), first);
  const d = await first;
  assert.ok('device' in d || /^(the webgpu package|no WebGPU adapter|the WebGPU adapter refused|no Vulkan loader)/.test(d.unavailable), JSON.stringify(d));
  await closeWgslDevice();
  const second = wgslDevice();
  assert.notEqual(second, first);
  await second;
  await closeWgslDevice();
});
