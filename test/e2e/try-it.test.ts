// End to end: the Try it room against `serve` in Chromium. A 25 % slice of tiny-llama is made through the
// API; the room offers it with its dense model, streams both continuations side by side (seen mid-stream:
// both columns hold text while the job still runs), shows each column's tokens/s, and a cancel keeps the
// partial text. Screenshots go to test-output/e2e/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openE2e, type E2eSession } from './session';
import { readRun } from './helpers-wizard';
import { clippedControls } from './helpers-fit';
import { sharedModel } from '../shared';

const root = join(import.meta.dirname, '../..');
const model = sharedModel('tiny-llama');
const shots = join(root, 'test-output/e2e');
let e2e: E2eSession;
let sliced: string;

before(async () => {
  e2e = await openE2e({ prefix: 'ss-e2e-try-', shots });
  const { runId } = await e2e.api<{ runId: number }>('startJob', [{ kind: 'slice', params: { model, ratio: 0.25, nsamples: 8, seqlen: 64, out: join(e2e.data, 'tl-25') } }]);
  const deadline = Date.now() + 120_000;
  while (readRun(e2e.dbFile, runId).status !== 'done') {
    assert.ok(!['failed', 'cancelled'].includes(readRun(e2e.dbFile, runId).status), 'the slice finishes');
    assert.ok(Date.now() < deadline, 'the slice finishes within two minutes');
    await new Promise((r) => setTimeout(r, 250));
  }
  sliced = readRun(e2e.dbFile, runId).result!.out as string;
});
after(() => e2e?.close());

/** Both columns hold text while the job still runs (its Cancel button is there). */
const bothColumnsStreaming = () =>
  e2e.page.waitForFunction(
    () => !!document.querySelector('[data-testid="try-cancel"]') && (document.querySelector('[data-testid="try-text-0"]')?.textContent ?? '').length > 0 && (document.querySelector('[data-testid="try-text-1"]')?.textContent ?? '').length > 0,
    undefined,
    { timeout: 60_000, polling: 50 },
  );
const textOf = async (testid: string) => (await e2e.page.getByTestId(testid).textContent()) ?? '';

test('Try it offers the newest slice beside its dense model and streams both continuations, each with its tokens/s', async () => {
  const { page, server } = e2e;
  await page.goto(`${server.url}#try`);
  await page.getByRole('heading', { name: 'Try it' }).waitFor({ timeout: 15_000 });
  await page.waitForFunction((s) => (document.querySelector('#try-sliced') as HTMLInputElement | null)?.value === s, sliced, { timeout: 15_000 });
  assert.equal(await page.locator('#try-dense').inputValue(), model);
  await page.locator('#try-prompt').fill('The history of');
  await page.locator('#try-max').fill('400');
  await page.getByTestId('try-run-button').click();
  // Mid-stream: both columns hold text while the job still runs (the Cancel button is there).
  await bothColumnsStreaming();
  await page.screenshot({ path: join(shots, 'try-it-streaming.png'), fullPage: true });
  await page.getByTestId('try-run').waitFor();
  // Run to the end this time.
  await page.getByTestId('try-ratio').waitFor({ timeout: 120_000 });
  for (const i of [0, 1]) {
    assert.match(await textOf(`try-speed-${i}`), /^\d+ tokens · [\d.]+ tokens\/s$/);
    assert.equal(await textOf(`try-note-${i}`), 'no chat template in this model: raw prompt');
    assert.ok((await textOf(`try-text-${i}`)).length > 20);
  }
  assert.match(await textOf('try-ratio'), /^Sliced decode speed: [\d.]+× the dense model's \(decoded in turn on cpu;/);
  await page.screenshot({ path: join(shots, 'try-it-done.png'), fullPage: true });
  // The run recorded both texts: the columns show exactly the recorded continuations.
  const runId = Number((await textOf('try-run')).replace(/\D/g, ''));
  const run = readRun(e2e.dbFile, runId);
  const result = run.result as { completion: string; compared: { completion: string } };
  assert.equal(await textOf('try-text-0'), result.completion);
  assert.equal(await textOf('try-text-1'), result.compared.completion);
  assert.deepEqual(e2e.problems, []);
});

test('a sampled run cancelled mid-stream keeps the text both columns had written', async () => {
  const { page } = e2e;
  await page.getByLabel('Sampled').check();
  await page.locator('#try-seed').fill('3');
  await page.locator('#try-max').fill('400');
  await page.getByTestId('try-run-button').click();
  await bothColumnsStreaming();
  await page.getByTestId('try-cancel').click();
  await page.getByTestId('try-cancelled').waitFor({ timeout: 15_000 });
  for (const i of [0, 1]) {
    assert.ok((await textOf(`try-text-${i}`)).length > 0, `column ${i} kept its text`);
    const tokens = Number((await textOf(`try-speed-${i}`)).split(' ')[0]);
    assert.ok(tokens >= 1 && tokens < 400, `column ${i}: ${tokens} tokens`);
  }
  await page.screenshot({ path: join(shots, 'try-it-cancelled.png'), fullPage: true });
  assert.deepEqual(e2e.problems, []);
});

test('at 1024 × 700 no control of Try it is clipped', async () => {
  const { page } = e2e;
  await page.setViewportSize({ width: 1024, height: 700 });
  const clipped = await clippedControls(page);
  assert.deepEqual(clipped, [], clipped.map((c) => `${c.control} ${JSON.stringify(c.box)}: ${c.why}`).join('\n'));
  await page.screenshot({ path: join(shots, 'small-window', 'try-it.png'), fullPage: true });
});
