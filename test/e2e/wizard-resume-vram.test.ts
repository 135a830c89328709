// Issue #11 in the wizard, in Chromium against `serve` (a fresh data directory): the Slice step lists a slice of
// the open model that ran out of GPU memory with the same VRAM field beside its Resume as the Runs room
// (components/ResumeVramField.svelte), prefilled with the lower --vram-gb its error line suggests; Resume continues
// from the checkpoint with the value in the field. The slice is real (helpers-oom.ts). Screenshots in
// test-output/e2e/wizard-resume-vram/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { openE2e, type E2eSession } from './session';
import { readRun } from './helpers-wizard';
import { sliceOutOfGpuMemory } from './helpers-oom';
import { SLICE_PARAMS } from '../api/slice-service';

const shots = join(import.meta.dirname, '../../test-output/e2e/wizard-resume-vram');
let e2e: E2eSession;
let page: Page;

before(async () => {
  e2e = await openE2e({ prefix: 'ss-wizard-vram-', shots, cleanShots: true });
  page = e2e.page;
});

after(() => e2e?.close());

test("the wizard's Slice step offers the VRAM field beside Resume for a slice that ran out of GPU memory, and resumes with the value typed there", async () => {
  const id = await sliceOutOfGpuMemory(e2e);

  await page.goto(`${e2e.server.url}#wizard`);
  const folder = page.getByLabel('Model folder or config.json');
  await page.locator('.inspection').waitFor({ timeout: 15_000 });
  await folder.fill(SLICE_PARAMS.model);
  await folder.press('Enter');
  await page.locator('.inspection .path').getByText(SLICE_PARAMS.model, { exact: true }).waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Next: Hardware & plan →' }).click();
  await page.getByRole('button', { name: /^Accept plan: slice at/ }).click({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Next: Slice →' }).click();

  const listed = page.getByTestId('interrupted-runs');
  const field = listed.getByRole('spinbutton', { name: `VRAM GiB for resuming run ${id}` });
  await field.waitFor({ timeout: 30_000 });
  assert.equal(await field.inputValue(), '4', 'prefilled with the error line’s suggestion');
  await field.fill('3');
  await page.screenshot({ path: join(shots, '01-lower-vram.png'), fullPage: true });
  await listed.getByRole('button', { name: `Resume run #${id}`, exact: true }).click();

  await page.locator('[data-testid="slice-status"][data-status="done"]').waitFor({ timeout: 120_000 });
  const resumedId = Number(/#(\d+)/.exec((await page.locator('#step-slice-title + .muted').textContent()) ?? '')![1]);
  assert.notEqual(resumedId, id);
  const resumed = readRun(e2e.dbFile, resumedId);
  assert.equal(resumed.settings.resumeOf, id);
  assert.equal(resumed.settings.vramGb, 3, 'the value in the field');
  assert.ok(typeof resumed.result!.resumedAt === 'number' && resumed.result!.resumedAt >= 1, `continued from the checkpoint (resumedAt ${resumed.result!.resumedAt})`);
  await page.screenshot({ path: join(shots, '02-resumed.png'), fullPage: true });
  assert.deepEqual(e2e.problems, []);
});
