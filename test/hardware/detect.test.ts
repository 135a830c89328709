import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectHardware } from '../../core/hardware/detect';
import { probeProvider, chooseProvider, explainFailure } from '../../core/hardware/provider-probe';
import { formatHardware } from '../../core/hardware/format';

test('the CPU execution provider starts in a child process and computes the probe sum', async () => {
  const p = await probeProvider('cpu');
  assert.deepEqual(p, { ep: 'cpu', available: true, reason: 'CPU session started' });
});

test('a provider that cannot start reports why instead of throwing', async () => {
  const p = await probeProvider('webgpu');
  // On a GPU-less CI box WebGPU finds no adapter; on a machine with one it works. Either way: a reason.
  assert.equal(typeof p.available, 'boolean');
  assert.ok(p.reason.length > 5);
  if (!p.available) assert.doesNotMatch(p.reason, /\n|onnxruntime_src/);
});

test('a probe that hangs is killed at its timeout', async () => {
  const p = await probeProvider('cuda', 1);
  assert.equal(p.available, false);
  assert.match(p.reason, /did not finish/);
});

test('provider choice prefers a working GPU EP and explains a CPU fallback', () => {
  const cpu = { ep: 'cpu' as const, available: true, reason: 'CPU session started' };
  const web = { ep: 'webgpu' as const, available: false, reason: 'no WebGPU adapter: No supported adapters' };
  assert.equal(chooseProvider([cpu, { ep: 'cuda', available: true, reason: 'ok' }, { ...web, available: true }]).ep, 'cuda');
  const c = chooseProvider([cpu, web]);
  assert.equal(c.ep, 'cpu');
  assert.match(c.reason, /webgpu: no WebGPU adapter/);
  assert.equal(explainFailure('webgpu', 'Failed to get a WebGPU adapter: No supported adapters'), 'no WebGPU adapter: No supported adapters');
});

test('detectHardware returns a full report for this machine and formats it', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ss-hw-'));
  const r = await detectHardware({ dataDir });
  assert.ok(r.cpu.cores >= 1);
  assert.ok(r.ram.totalBytes > 0 && r.ram.freeBytes > 0);
  assert.equal(r.disk.path, dataDir);
  assert.ok(r.disk.freeBytes > 0 && r.disk.totalBytes >= r.disk.freeBytes);
  assert.ok(r.providers.find((p) => p.ep === 'cpu')?.available);
  assert.ok(['cpu', 'cuda', 'webgpu', 'dml', 'coreml'].includes(r.chosenProvider.ep));
  assert.ok(!Number.isNaN(Date.parse(r.detectedAt)));
  const text = formatHardware(r);
  assert.match(text, /Will use\s+\w+ — /);
  assert.match(text, /RAM\s+[\d.]+ GiB total/);
  const quick = await detectHardware({ dataDir, probeProviders: false });
  assert.deepEqual(quick.providers, []);
  assert.equal(quick.chosenProvider.ep, 'cpu');
});
