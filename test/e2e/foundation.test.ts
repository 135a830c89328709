// End to end: `serve` + Debian's Chromium through the Hardware and Model panels on the shared tiny-llama.
// Screenshots land in test-output/e2e/ (look at them: they are the UI's review copy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ServeProcess } from './serve-process';
import { openE2e, type E2eSession } from './session';
import { sharedModel } from '../shared';

const root = join(import.meta.dirname, '../..');
const model = sharedModel('tiny-llama');
const shots = join(root, 'test-output/e2e');
let e2e: E2eSession;
let server: ServeProcess;
let page: Page;
let problems: string[];

before(async () => {
  e2e = await openE2e({ prefix: 'ss-e2e-', shots });
  ({ server, page, problems } = e2e);
});

after(() => e2e?.close());

const api = <T>(method: string, args: unknown[] = []) => e2e.api<T>(method, args);

test('the page is refused without the token', async () => {
  const res = await fetch(new URL('/', server.url).href.replace(/\?.*$/, ''));
  assert.equal(res.status, 401);
});

test('Hardware panel shows the execution provider the core chose, with every probe and its reason', async () => {
  await page.goto(server.url);
  const chosen = page.getByTestId('chosen-ep');
  await chosen.waitFor({ timeout: 30_000 });
  const report = await api<{ chosenProvider: { ep: string; reason: string }; providers: { ep: string; reason: string }[] }>('getHardware');
  const names: Record<string, string> = { cpu: 'CPU', webgpu: 'WebGPU', cuda: 'CUDA', dml: 'DirectML', coreml: 'Core ML' };
  assert.equal(await chosen.locator('.callout-value').textContent(), names[report.chosenProvider.ep]);
  assert.equal(await chosen.locator('.callout-reason').textContent(), report.chosenProvider.reason);
  const probes = page.locator('.probes li');
  assert.equal(await probes.count(), report.providers.length);
  for (const p of report.providers) await page.getByText(p.reason, { exact: true }).first().waitFor();
  await page.getByText(/cores/).first().waitFor();
});

test('the Model panel opens on the bundled demo model', async () => {
  const info = await api<{ demoModelPath: string | null }>('getAppInfo');
  assert.ok(info.demoModelPath, 'resources/models/tiny-llama is bundled');
  assert.equal(await page.getByLabel('Model folder or config.json').inputValue(), info.demoModelPath);
  await page.waitForFunction(() => document.querySelector('[data-testid="param-count"]')?.textContent === '5,048,576', undefined, { timeout: 15_000 });
  await page.locator('.inspection .path').getByText(info.demoModelPath, { exact: true }).waitFor();
});

test('Model panel inspects tiny-llama typed into the path field and lists it under recent models', async () => {
  const field = page.getByLabel('Model folder or config.json');
  await field.fill(model);
  await field.press('Enter');
  // The demo model is the same network under another path: wait for this path's inspection.
  await page.locator('.inspection .path').getByText(model, { exact: true }).waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('param-count').textContent(), '5,048,576');
  assert.equal(await page.getByTestId('family').textContent(), 'llama');
  await page.getByText('LlamaForCausalLM').first().waitFor();
  await page.locator('.recent').getByText(model).waitFor();
  await page.screenshot({ path: join(shots, 'hardware-and-model.png'), fullPage: true });
});

test('a missing folder shows one clear error line in the Model panel', async () => {
  const field = page.getByLabel('Model folder or config.json');
  await field.fill('/no/such/model');
  await page.getByRole('button', { name: 'Inspect' }).click();
  const alert = page.locator('.panel [role="alert"]');
  await alert.waitFor();
  const text = (await alert.textContent())!.trim();
  assert.match(text, /\/no\/such\/model/);
  assert.ok(!text.includes('\n') && !/\bat \S+:\d+/.test(text), `no stack trace: ${text}`);
  await page.screenshot({ path: join(shots, 'model-error.png'), fullPage: true });
});

test('the rooms are tabs reachable with the keyboard; the Runs room updates from pushed events', async () => {
  await page.getByRole('tab', { name: 'Hardware & model' }).focus();
  await page.keyboard.press('ArrowRight');
  assert.equal(await page.getByRole('tab', { name: 'Runs' }).getAttribute('aria-selected'), 'true');
  await page.getByRole('heading', { name: 'Runs' }).waitFor();
  await page.getByText('No runs yet.', { exact: false }).waitFor();
  // A job started elsewhere (here: straight through the HTTP API) appears through the WebSocket events.
  await api('startJob', [{ kind: 'fingerprint', params: { path: model } }]);
  const row = page.locator('table.data tbody tr').filter({ hasText: `fingerprint ${model}` });
  await row.locator('.status.done').waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(shots, 'runs.png'), fullPage: true });
  await page.keyboard.press('ArrowLeft');
  await page.getByRole('heading', { name: 'Hardware' }).waitFor();
  // The missing-folder test's API reply is a 400 by design; anything else is a problem.
  assert.deepEqual(
    problems.filter((p) => !p.includes('status of 400')),
    [],
  );
});

test('the Runs room shows a job waiting behind another heavy job as queued, and cancels it from there', async () => {
  await page.getByRole('tab', { name: 'Runs' }).click();
  // Two perplexity runs on the CPU: one at a time per device, so the second waits.
  const first = await api<{ jobId: string; runId: number }>('startJob', [{ kind: 'ppl', params: { model }, name: 'ppl running first' }]);
  const second = await api<{ jobId: string; runId: number }>('startJob', [{ kind: 'ppl', params: { model }, name: 'ppl waiting' }]);
  const jobs = await api<{ runId: number; status: string }[]>('listJobs');
  assert.deepEqual(
    jobs.map((j) => [j.runId, j.status]),
    [
      [first.runId, 'running'],
      [second.runId, 'queued'],
    ],
  );
  const row = page.locator('table.data tbody tr').filter({ hasText: 'ppl waiting' });
  await row.locator('.status.queued').waitFor({ timeout: 15_000 });
  await page.screenshot({ path: join(shots, 'runs-queued.png'), fullPage: true });
  await row.getByRole('button', { name: 'Cancel' }).click();
  await row.locator('.status.cancelled').waitFor({ timeout: 15_000 });
  assert.equal(await api('cancelJob', [first.jobId]), true);
  await page.locator('table.data tbody tr').filter({ hasText: 'ppl running first' }).locator('.status.cancelled').waitFor({ timeout: 30_000 });
  assert.deepEqual(
    problems.filter((p) => !p.includes('status of 400')),
    [],
  );
});
