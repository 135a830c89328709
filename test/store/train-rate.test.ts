// A measured training rate is stored with a hardware snapshot and found again for a snapshot of the same
// machine (CPU model, cores, platform) — never for another machine.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, StoreError } from '../../core/store/store';
import { detectHardware } from '../../core/hardware/detect';
import type { TrainRate } from '../../core/recover/rate-probe';

test('a training rate stored with a snapshot is found for later snapshots of the same CPU and platform only', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-store-rate-'));
  const s = Store.open(join(dir, 'db.sqlite'));
  try {
    const hw = await detectHardware({ dataDir: dir, probeProviders: false });
    const id = s.recordHardware(hw);
    assert.equal(s.hardwareTrainRate(hw), null);
    const rate: TrainRate = { tokensPerSecond: { whole: 812.5, streamed: 201.25 }, workParams: 3_999_744, probe: 'llama tiny-llama, 4 × 256 tokens, 2 steps per engine', cores: hw.cpu.cores, measuredAt: '2026-12-06T23:50:00.000Z' };
    s.setHardwareTrainRate(id, rate);
    assert.deepEqual((s.latestHardware() as { trainRate?: TrainRate }).trainRate, rate);
    const later = { ...hw, detectedAt: new Date().toISOString() };
    s.recordHardware(later);
    assert.deepEqual(s.hardwareTrainRate(later), rate);
    assert.equal(s.hardwareTrainRate({ ...later, cpu: { ...later.cpu, cores: later.cpu.cores + 2 } }), null);
    assert.equal(s.hardwareTrainRate({ ...later, cpu: { ...later.cpu, model: 'another CPU' } }), null);
    assert.equal(s.hardwareTrainRate({ ...later, platform: 'elsewhere 1.0 x64' }), null);
    assert.throws(() => s.setHardwareTrainRate(id + 99, rate), StoreError);
  } finally {
    s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
