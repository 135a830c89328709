// This machine's training rate (rate-probe.ts) through the API: measured on the bundled tiny model once,
// stored with the hardware snapshot, reused by a later snapshot of the same machine, measured again on
// refresh; the rate is per token of the probe's work, which defaults.ts scales to a slice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SliceStudioService } from '../../core/api/service';
import { callApi } from '../../core/api/dispatch';
import { Store } from '../../core/store/store';
import type { TrainRate } from '../../core/recover/rate-probe';
import { parseConfig } from '../../core/model/config';
import { countParams, denseShapes } from '../../core/plan/params';
import { resourcePath } from '../../core/base/paths';

test('recoverRate measures both steps on the bundled tiny model once, stores the rate with the hardware snapshot; a later snapshot of this machine reuses it; refresh measures again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ss-rft-rate-'));
  const storeFile = join(dir, 'store.db');
  const open = () => SliceStudioService.create({ storeFile, hardware: { dataDir: dir, probeProviders: false } });
  const snapshotRate = () => {
    const s = Store.open(storeFile);
    try {
      return (s.latestHardware() as { trainRate?: TrainRate } | null)?.trainRate;
    } finally {
      s.close();
    }
  };
  try {
    const a = await open();
    let first: TrainRate;
    try {
      first = (await callApi(a, 'recoverRate', [])) as TrainRate;
      assert.ok(first.tokensPerSecond.whole > 0 && first.tokensPerSecond.streamed > 0, JSON.stringify(first.tokensPerSecond));
      const c = parseConfig(JSON.parse(readFileSync(resourcePath('models', 'tiny-llama', 'config.json'), 'utf8')) as Record<string, unknown>);
      assert.equal(first.workParams, countParams(denseShapes(c)).layers + c.vocabSize * c.hiddenSize);
      assert.match(first.probe, /^llama tiny-llama, 4 × 256 tokens/);
      assert.deepEqual(snapshotRate(), first, 'stored with the snapshot');
      const t0 = performance.now();
      assert.deepEqual(await callApi(a, 'recoverRate', []), first, 'not measured twice');
      assert.ok(performance.now() - t0 < 2000);
    } finally {
      await a.close();
    }

    const b = await open();
    try {
      // A new session records a new snapshot of the same machine: it carries the rate measured before.
      assert.deepEqual(await callApi(b, 'recoverRate', []), first);
      assert.deepEqual(snapshotRate(), first);
      const again = (await callApi(b, 'recoverRate', [true])) as TrainRate;
      assert.notEqual(again.measuredAt, first.measuredAt);
      assert.deepEqual(snapshotRate(), again);
      console.log(
        `this machine: one graph ${first.tokensPerSecond.whole.toFixed(0)} / ${again.tokensPerSecond.whole.toFixed(0)}, streamed ${first.tokensPerSecond.streamed.toFixed(0)} / ${again.tokensPerSecond.streamed.toFixed(0)} tokens/s (${first.probe})`,
      );
    } finally {
      await b.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
