// Issue #11 in the Runs room, in Chromium against `serve` (a fresh data directory): a slice that ran out of GPU
// memory shows a VRAM field beside Resume, prefilled with the lower --vram-gb its error line suggests; Resume
// continues from the checkpoint with the value in the field (resumeJob's overrides.vramGb). The slice is real
// (tiny-llama, stopped after its first layer; helpers-oom.ts records the guard's real out-of-memory line). Screenshot in
// test-output/e2e/resume-vram/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openE2e, type E2eSession } from './session';
import { readRun } from './helpers-wizard';
import { sliceOutOfGpuMemory } from './helpers-oom';

const shots = join(import.meta.dirname, '../../test-output/e2e/resume-vram');
let e2e: E2eSession;
let page: Page;

before(async () => {
  e2e = await openE2e({ prefix: 'ss-resume-vram-', shots, cleanShots: true });
  page = e2e.page;
});

after(() => e2e?.close());

test('the Runs room offers a VRAM field for a slice that ran out of GPU memory, prefilled with half its budget, and Resume continues from the checkpoint with the value typed there', async () => {
  const id = await sliceOutOfGpuMemory(e2e);

  await page.goto(`${e2e.server.url}#runs`);
  await page.getByRole('tab', { name: 'Runs' }).click();
  const field = page.getByRole('spinbutton', { name: `VRAM GiB for resuming run ${id}` });
  await field.waitFor({ timeout: 30_000 });
  assert.equal(await field.inputValue(), '4', 'prefilled with the error line’s suggestion');
  await field.fill('3');
  await page.screenshot({ path: join(shots, '01-lower-vram.png'), fullPage: true });
  await page.getByRole('button', { name: `Resume run ${id}`, exact: true }).click();

  const row = page.locator('tr[data-run-id]').filter({ hasText: `continues run ${id}` });
  await row.locator('.status.done').waitFor({ timeout: 120_000 });
  const resumedId = Number(await row.getAttribute('data-run-id'));
  const resumed = readRun(e2e.dbFile, resumedId);
  assert.equal(resumed.settings.resumeOf, id);
  assert.equal(resumed.settings.vramGb, 3, 'the value in the field');
  assert.ok(typeof resumed.result!.resumedAt === 'number' && resumed.result!.resumedAt >= 1, `continued from the checkpoint (resumedAt ${resumed.result!.resumedAt})`);
  await page.screenshot({ path: join(shots, '02-resumed.png'), fullPage: true });
  assert.deepEqual(e2e.problems, []);
});
