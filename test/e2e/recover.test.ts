// The wizard's Recover step end to end, in Chromium against `serve` (a fresh data directory): slice the
// shared tiny-llama at 25 %, recover it on WikiText-2 for a few steps — cancelled mid-way from the UI and
// resumed from its checkpoint — with the live loss curve; evaluate the slice and the recovered folder;
// then the compare view's dense → sliced → recovered table equals what SQLite recorded, and the run is
// stored under its slice with one loss row per step. Screenshots go to test-output/e2e/recover/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ServeProcess } from './serve-process';
import { openE2e, type E2eSession } from './session';
import { colouredPixels, evaluateInWizard, metric, PRIMARY, readRun, show } from './helpers-wizard';
import { sharedModel } from '../shared';
import Database from 'better-sqlite3';

const root = join(import.meta.dirname, '../..');
const model = sharedModel('tiny-llama');
const shots = join(root, 'test-output/e2e/recover');
// Enough steps that a cancel sent at step 4–28 lands before the run ends on a fast idle machine (at 8 steps
// a CI machine finished before the click arrived); checkpoints every 3 steps (⌈30/10⌉).
const STEPS = 30;
let e2e: E2eSession;
let dbFile: string;
let server: ServeProcess;
let page: Page;
const runs = { slice: 0, cancelled: 0, recovered: 0, evalSliced: 0, evalRecovered: 0 };

before(async () => {
  e2e = await openE2e({ prefix: 'ss-recover-', shots, cleanShots: true });
  ({ dbFile, server, page } = e2e);
});

after(() => e2e?.close());

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
const runIdIn = async (selector: string) => Number(/#(\d+)/.exec(await text(selector))![1]);

/** The loss rows a run recorded (phase 'train-loss', one per step). */
function lossRows(id: number): number {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM layer_stats WHERE run_id = ? AND phase = 'train-loss'").get(id) as { n: number }).n;
  } finally {
    db.close();
  }
}

async function evaluate(target: RegExp): Promise<number> {
  await page.getByLabel(target).check();
  return evaluateInWizard(page);
}

test('slice tiny-llama at 25 % through the wizard, then open the optional Recover step with defaults scaled to the slice', async () => {
  await page.goto(`${server.url}#wizard`);
  const field = page.getByLabel('Model folder or config.json');
  await page.locator('.inspection').waitFor({ timeout: 15_000 });
  await field.fill(model);
  await field.press('Enter');
  await page.locator('.inspection .path').getByText(model, { exact: true }).waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Next: Hardware & plan →' }).click();
  await page.getByTestId('plan-summary').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Accept plan: slice at 25 % →' }).click();
  await page.locator('#cal-samples').fill('16');
  await page.locator('#cal-seqlen').fill('128');
  await page.getByRole('button', { name: 'Next: Slice →' }).click();
  await page.getByRole('button', { name: 'Start slicing' }).click();
  await page.locator('[data-testid="slice-status"][data-status="done"]').waitFor({ timeout: 180_000 });
  runs.slice = await runIdIn('#step-slice-title + .muted');
  const d = metric(readRun(dbFile, runs.slice), 'd');

  await page.getByTestId('go-recover').click();
  await page.locator('#step-recover-title').waitFor();
  // r 32 (below d), α 10, seqlen 256 (the model allows 512), Alpaca by default, and a predicted time.
  assert.ok(d > 32);
  assert.equal(await page.getByTestId('recover-rank').inputValue(), '32');
  assert.equal(await page.getByTestId('recover-seqlen').inputValue(), '256');
  assert.equal(await page.getByLabel(/^Alpaca/).isChecked(), true);
  assert.match(
    await text('[data-testid="recover-estimate"]'),
    /about \d+(\.\d)? (s|min)\b.* predicted \d+ tokens\/s on the CPU for the one-graph step \((measured on this machine: the one-graph step ran at \d+ tokens\/s on llama tiny-llama|from the table, not measured on this machine: the rate measured on tiny-llama)/,
  );
  // The memory preflight before Start: a tiny slice trains as one graph, in a fraction of the free RAM.
  assert.equal(await page.getByTestId('recover-preflight').getAttribute('data-engine'), 'whole');
  assert.match(await text('[data-testid="recover-preflight"]'), /^Memory: trains as one graph on the CPU, about [\d.]+ [KMG]i?B of RAM of [\d.]+ [KMG]i?B free/);
  await shot('01-recover-defaults');
});

test('recovering on WikiText-2: live loss curve, tokens/s and ETA; cancelled mid-way and resumed from its checkpoint; the run hangs under its slice with its loss curve', async () => {
  await page.getByLabel(/^WikiText-2/).check();
  await page.getByTestId('recover-steps').fill(String(STEPS));
  await page.getByTestId('recover-seqlen').fill('64');
  await page.getByRole('button', { name: 'Start recovery' }).click();
  await page.locator('[data-testid="recover-status"][data-status="running"]').waitFor({ timeout: 30_000 });
  await page.getByTestId('recover-rate').waitFor({ timeout: 120_000 });
  assert.match(await text('[data-testid="recover-rate"]'), /^\d+ tokens\/s$/);
  // Cancel once a few steps (and their checkpoints) are done.
  await page.waitForFunction(() => /step ([4-9]|1\d|2[0-8])\//.test(document.querySelector('[data-testid="recover-status"]')?.textContent ?? ''), undefined, { timeout: 120_000 });
  await shot('02-recover-running');
  await page.getByRole('button', { name: 'Cancel training' }).click();
  await page.locator('[data-testid="recover-status"][data-status="cancelled"]').waitFor({ timeout: 60_000 });
  runs.cancelled = await runIdIn('#step-recover-title + .muted');
  const [chart] = await colouredPixels(page, '[data-testid="recover-loss-chart"]');
  assert.ok(chart.coloured > 50, `the loss chart drew the steps so far (${chart.coloured} coloured pixels)`);

  // The Runs room offers the same resume (resumeJob) for the stopped recovery; the wizard keeps its state.
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.getByRole('button', { name: `Resume run ${runs.cancelled}`, exact: true }).waitFor({ timeout: 30_000 });
  await page.getByRole('tab', { name: 'Slice wizard' }).click();
  await page.locator('#step-recover-title').waitFor();
  await page.getByRole('button', { name: `Resume run #${runs.cancelled}` }).click();
  await page.locator('[data-testid="recover-status"][data-status="done"]').waitFor({ timeout: 180_000 });
  runs.recovered = await runIdIn('#step-recover-title + .muted');
  const run = readRun(dbFile, runs.recovered);
  assert.equal(run.status, 'done');
  assert.equal(run.settings.job, 'recover');
  assert.equal(run.parentRunId, runs.slice, 'the recovery hangs under the slice it trained');
  assert.equal(run.settings.resumeOf, runs.cancelled, 'resumed through resumeJob, the API the Runs room resumes with');
  const resumedFrom = (run.result as { resumedFrom: number }).resumedFrom;
  assert.ok(resumedFrom > 0, 'the resumed run started from its checkpoint');
  await page.getByTestId('recover-result').getByText(`from the checkpoint at step ${resumedFrom}`).waitFor();
  assert.equal(lossRows(runs.recovered), STEPS, 'one loss row per step, the checkpointed ones included');
  const out = run.result!.out as string;
  assert.ok(existsSync(join(out, 'slicing_config.json')) && existsSync(join(out, 'adapter', 'adapter_model.safetensors')));
  await page.getByTestId('recover-result').getByText(out, { exact: true }).waitFor();
  await shot('03-recover-done');
});

test('evaluate offers the recovered folder; the slice and the recovered model are evaluated the same way', async () => {
  await page.getByRole('button', { name: 'Next: Evaluate →' }).click();
  assert.equal(await page.getByLabel(/^Recovered/).isChecked(), false);
  runs.evalRecovered = await evaluate(/^Recovered/);
  assert.equal(readRun(dbFile, runs.evalRecovered).parentRunId, runs.recovered);
  runs.evalSliced = await evaluate(/^Sliced/);
  assert.equal(readRun(dbFile, runs.evalSliced).parentRunId, runs.slice);
});

test('the compare view shows dense → sliced → recovered (perplexity, zero-shot) equal to SQLite, and the loss curve', async () => {
  await page.getByRole('tab', { name: 'Runs' }).click();
  // The cancelled recovery shows what became of it (its Resume button is gone once resumed).
  await page.getByText(`resumed as run ${runs.recovered}`).waitFor();
  for (const id of [runs.slice, runs.recovered]) await page.getByLabel(`Select run ${id} for comparison`).check();
  await page.getByRole('button', { name: 'Compare 2 runs' }).click();
  const chain = page.locator(`[data-testid="recovery-chain"][data-run-id="${runs.recovered}"]`);
  await chain.waitFor();
  const cell = async (row: string, col: string) => ((await chain.locator(`tr[data-row="${row}"] td[data-col="${col}"]`).textContent()) ?? '').trim();
  const sliced = readRun(dbFile, runs.evalSliced);
  const recovered = readRun(dbFile, runs.evalRecovered);
  // The dense model measured once under the same protocol and items (the first evaluation's baseline run).
  const dense = readRun(dbFile, runs.evalRecovered + 1);
  assert.equal(dense.settings.baselineOf, runs.evalRecovered);
  assert.equal(await cell('perplexity', 'dense'), show.ppl(metric(dense, 'ppl')));
  assert.equal(await cell('perplexity', 'sliced'), show.ppl(metric(sliced, 'ppl')));
  assert.equal(await cell('perplexity', 'recovered'), show.ppl(metric(recovered, 'ppl')));
  assert.notEqual(metric(recovered, 'ppl'), metric(sliced, 'ppl'));
  for (const t of ['piqa', 'arc_easy']) {
    assert.equal(await cell(`acc-${t}`, 'dense'), show.acc(metric(dense, PRIMARY[t], t)));
    assert.equal(await cell(`acc-${t}`, 'sliced'), show.acc(metric(sliced, PRIMARY[t], t)));
    assert.equal(await cell(`acc-${t}`, 'recovered'), show.acc(metric(recovered, PRIMARY[t], t)));
  }
  // In the comparison table the recovery sits at its slice's ratio.
  assert.equal(((await page.locator(`[data-testid="compare-table"] tr[data-row="ratio"] td[data-run-id="${runs.recovered}"]`).textContent()) ?? '').trim(), '25 %');
  const [loss] = await colouredPixels(page, '[data-testid="recovery-chain"]');
  assert.equal(loss.label, 'Training loss');
  assert.ok(loss.coloured > 50, `the recorded loss curve drew (${loss.coloured} coloured pixels)`);
  await chain.scrollIntoViewIfNeeded();
  await shot('04-compare-recovery');
  assert.deepEqual(e2e.problems, []);
});
