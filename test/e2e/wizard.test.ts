// End to end through the wizard, in Debian's Chromium against `serve` (a fresh data directory): open the
// shared tiny-llama, accept the plan, slice at 25 % (16 × 128 calibration tokens), evaluate perplexity and
// two tasks, find the run in Runs, slice and evaluate again at 10 %, compare the two; cancel a slice
// mid-way from the UI, resume it, and get the uninterrupted run's model bit for bit. Every number checked
// on screen is checked against SQLite; every chart canvas must have drawn. Screenshots of each step go to
// test-output/e2e/wizard/ (the UI's review copy).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { ServeProcess } from './serve-process';
import { openE2e, type E2eSession } from './session';
import { colouredPixels, evaluateInWizard, metric, PRIMARY, readRun, show } from './helpers-wizard';
import { sharedModel, sharedData } from '../shared';

const root = join(import.meta.dirname, '../..');
const model = sharedModel('tiny-llama');
const shots = join(root, 'test-output/e2e/wizard');
const TASKS = ['piqa', 'arc_easy'];
let e2e: E2eSession;
let dbFile: string;
let server: ServeProcess;
let page: Page;
let problems: string[];
// Run ids, as the UI shows them.
const runs = { slice25: 0, eval25: 0, slice10: 0, eval10: 0, cancelled: 0, resumed: 0 };

before(async () => {
  e2e = await openE2e({ prefix: 'ss-wizard-', shots, cleanShots: true, acceptDownloads: true });
  ({ dbFile, server, page, problems } = e2e);
});

after(() => e2e?.close());

const api = <T>(method: string, args: unknown[] = []) => e2e.api<T>(method, args);

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
const runIdIn = async (selector: string) => Number(/#(\d+)/.exec(await text(selector))![1]);

async function room(name: 'Slice wizard' | 'Runs') {
  await page.getByRole('tab', { name }).click();
}

async function step(name: RegExp) {
  await page.getByRole('navigation', { name: 'Wizard steps' }).getByRole('button', { name }).click();
}

/** Moves the ratio slider with the keyboard to `pct` percent and waits for the estimate to follow. */
async function setRatio(pct: number) {
  const slider = page.locator('#plan-ratio');
  await slider.focus();
  const now = Math.round(Number(await slider.inputValue()) * 100);
  for (let i = 0; i < Math.abs(pct - now); i++) await page.keyboard.press(pct > now ? 'ArrowRight' : 'ArrowLeft');
  await page.getByTestId('ratio-value').getByText(`${pct} %`, { exact: true }).waitFor();
  const reply = await api<{ estimate: { d: number } }>('planModel', [model, { gpus: 'auto', format: 'fp16', ctx: 512, batch: 1, ratio: pct / 100 }]);
  await page.waitForFunction(([d]) => document.querySelector('[data-testid="plan-d"]')?.firstChild?.textContent?.trim() === String(d), [reply.estimate.d], { timeout: 10_000 });
  return reply.estimate.d;
}

async function sliceAndWait(label: string): Promise<number> {
  await page.getByRole('button', { name: /^(Start slicing|Slice again)$/ }).click();
  const status = page.getByTestId('slice-status');
  await page.locator('[data-testid="slice-status"][data-status="running"]').waitFor({ timeout: 30_000 });
  // Mid-run: the chart has started filling in.
  await page.waitForFunction(() => Number(document.querySelector<HTMLProgressElement>('[data-testid="slice-progress"]')?.value ?? 0) >= 0.4, undefined, { timeout: 60_000 });
  await shot(`${label}-running`);
  await page.locator('[data-testid="slice-status"][data-status="done"]').waitFor({ timeout: 120_000 });
  assert.ok(await status.isVisible());
  return runIdIn('#step-slice-title + .muted');
}

const evaluateAndWait = () => evaluateInWizard(page);

test('the wizard opens a model folder typed in, on top of the bundled demo model', async () => {
  await page.goto(`${server.url}#wizard`);
  await page.getByRole('navigation', { name: 'Wizard steps' }).waitFor();
  const field = page.getByLabel('Model folder or config.json');
  await page.locator('.inspection').waitFor({ timeout: 15_000 }); // the demo model, by default
  await field.fill(model);
  await field.press('Enter');
  await page.locator('.inspection .path').getByText(model, { exact: true }).waitFor({ timeout: 15_000 });
  assert.equal(await page.getByTestId('param-count').textContent(), '5,048,576');
  await shot('01-model');
  await page.getByRole('button', { name: 'Next: Hardware & plan →' }).click();
});

test('the plan shows the devices and a live estimate that follows the ratio slider', async () => {
  await page.getByTestId('plan-summary').waitFor({ timeout: 30_000 });
  assert.equal(await text('[data-testid="ratio-value"]'), '25 %');
  const at25 = await api<{ estimate: { d: number; devices: unknown[]; fits: boolean; explain: string[] }; plan: { ratio: number | null } }>('planModel', [model, { gpus: 'auto', format: 'fp16', ctx: 512, batch: 1, ratio: 0.25 }]);
  assert.equal(await page.locator('[data-testid="device-bars"] .device').count(), at25.estimate.devices.length);
  assert.equal(await page.locator('.explain li').count(), at25.estimate.explain.length);
  await page.getByTestId('plan-recommendation').waitFor();
  // What slicing will cost, predicted (core/plan/predict.ts): time, RAM, disk.
  await page.getByTestId('slice-cost').waitFor();
  assert.match((await text('[data-testid="slice-cost-time"]')) ?? '', /^\d+(\.\d)? (s|min|h)$/);
  // The slider drives the estimate (keyboard only), and back.
  const d20 = await setRatio(20);
  const d25 = await setRatio(25);
  assert.ok(d20 > d25, `a smaller ratio keeps more width (${d20} vs ${d25})`);
  assert.equal(d25, at25.estimate.d);
  await shot('02-plan');
  await page.getByRole('button', { name: 'Accept plan: slice at 25 % →' }).click();
});

test('calibration: 16 samples of 128 tokens of WikiText-2, first windows, seed 42', async () => {
  await page.locator('#step-calibration-title').waitFor();
  await page.locator('#cal-samples').fill('16');
  await page.locator('#cal-seqlen').fill('128');
  assert.equal(await page.getByLabel('WikiText-2').isChecked(), true);
  assert.equal(await page.getByLabel('First windows').isChecked(), true);
  assert.equal(await page.locator('#cal-seed').inputValue(), '42');
  await page.getByText('2,048 calibration tokens').waitFor();
  await page.getByTestId('slice-cost').waitFor(); // the prediction follows the calibration size
  await shot('03-calibration');
  await page.getByRole('button', { name: 'Next: Slice →' }).click();
});

test('slicing at 25 % shows progress per layer and phase and a live explained-variance chart', async () => {
  runs.slice25 = await sliceAndWait('04-slice');
  const run = readRun(dbFile, runs.slice25);
  assert.equal(run.status, 'done');
  assert.equal(run.settings.ratio, 0.25);
  assert.equal(run.settings.nsamples, 16);
  assert.equal(run.settings.seqlen, 128);
  const result = page.getByTestId('slice-result');
  await result.getByText(`d = ${metric(run, 'd')}`, { exact: true }).waitFor();
  await result.getByText(run.result!.out as string, { exact: true }).waitFor();
  // Every layer's units are done; the chart drew a point per signal.
  assert.equal(await page.locator('.units .unit.done').count(), 1 + 4);
  const [chart] = await colouredPixels(page, '[data-testid="variance-chart"]');
  assert.ok(chart.coloured > 100, `the variance chart drew data (${chart.coloured} coloured pixels)`);
  await shot('05-slice-done');
});

test('evaluating the slice shows perplexity and two tasks, equal to what SQLite recorded', async () => {
  await page.getByRole('button', { name: 'Next: Evaluate →' }).click();
  assert.equal(await page.getByLabel(/^Sliced/).isChecked(), true);
  for (const t of ['PIQA', 'ARC-e']) assert.equal(await page.getByLabel(t, { exact: true }).isChecked(), true);
  runs.eval25 = await evaluateAndWait();
  const run = readRun(dbFile, runs.eval25);
  assert.equal(run.parentRunId, runs.slice25, 'the evaluation hangs under the slice');
  assert.equal(await text('[data-testid="eval-ppl"]'), show.ppl(metric(run, 'ppl')));
  for (const t of TASKS) assert.equal(await text(`[data-testid="eval-acc-${t}"]`), show.acc(metric(run, PRIMARY[t], t)));
  assert.equal(await text('[data-testid="eval-avg"]'), show.acc(metric(run, 'average')));
  // Beside them the dense model measured the same way (4 windows × 256, 20 items), and the differences ± stderr.
  const dense = readRun(dbFile, runs.eval25 + 1);
  assert.equal(dense.settings.baselineOf, runs.eval25);
  await page.getByTestId('dense-ppl').getByText(show.pplErr(dense), { exact: true }).waitFor();
  assert.match(await text('[data-testid="eval-ppl-delta"]'), /^\+\d+\.\d{2} ± \d+\.\d{2}$/);
  assert.match(await text('[data-testid="eval-ppl-protocol"]'), /^WikiText-2 test, first 4 of \d+ windows × 256 tokens$/);
  for (const t of TASKS) assert.match(await text(`[data-testid="eval-acc-delta-${t}"]`), /^[+−]\d+\.\d ± \d+\.\d pp$/);
  await shot('06-evaluate');
});

test('the Runs room lists the slice with its ratio, d, dataset, perplexity and accuracy from SQLite', async () => {
  await room('Runs');
  const row = page.locator(`tr[data-run-id="${runs.slice25}"]`);
  await row.waitFor();
  const slice = readRun(dbFile, runs.slice25);
  const evaluation = readRun(dbFile, runs.eval25);
  const cell = async (col: string) => ((await row.locator(`[data-col="${col}"]`).textContent()) ?? '').trim();
  assert.equal(await cell('ratio'), show.ratio(slice.settings.ratio as number));
  assert.equal(await cell('d'), String(metric(slice, 'd')));
  assert.equal(await cell('dataset'), 'wikitext2');
  assert.equal(((await row.getByTestId('ppl-value').textContent()) ?? '').trim(), show.ppl(metric(evaluation, 'ppl')));
  assert.match(((await row.getByTestId('ppl-protocol').textContent()) ?? '').trim(), /^4×256 · ±\d+\.\d{2}$/);
  assert.match(((await row.getByTestId('ppl-vs-dense').textContent()) ?? '').trim(), /^dense \d+\.\d{2} · \+\d+\.\d{2} ± \d+\.\d{2}$/);
  assert.equal(((await row.getByTestId('acc-value').textContent()) ?? '').trim(), show.acc(metric(evaluation, 'average')));
  assert.equal(await cell('status'), 'done');
  // Filters: only slices, then a search that matches nothing.
  await page.getByLabel('Kind').selectOption('slice');
  assert.equal(await page.locator('tbody tr[data-run-id]').count(), 1);
  await page.getByLabel('Search').fill('no such run');
  await page.getByText('No run matches these filters.').waitFor();
  await page.getByLabel('Search').fill('');
  await page.getByLabel('Kind').selectOption('');
  await shot('07-runs');
});

test('rename a run from the table (keyboard: Enter saves)', async () => {
  await page.getByRole('button', { name: `Rename run ${runs.slice25}` }).click();
  const field = page.locator(`#rename-${runs.slice25}`);
  await field.fill('tiny-llama 25% (16×128)');
  await field.press('Enter');
  await page.locator(`tr[data-run-id="${runs.slice25}"] .run-name`).getByText('tiny-llama 25% (16×128)').waitFor();
  assert.equal(readRun(dbFile, runs.slice25).name, 'tiny-llama 25% (16×128)');
});

test('a second slice at 10 %, evaluated the same way', async () => {
  await room('Slice wizard');
  await step(/Hardware & plan/);
  await setRatio(10);
  await page.getByRole('button', { name: 'Accept plan: slice at 10 % →' }).click();
  await page.getByRole('button', { name: 'Next: Slice →' }).click();
  runs.slice10 = await sliceAndWait('08-slice-10');
  assert.equal(readRun(dbFile, runs.slice10).settings.ratio, 0.1);
  await page.getByRole('button', { name: 'Next: Evaluate →' }).click();
  runs.eval10 = await evaluateAndWait();
  assert.equal(readRun(dbFile, runs.eval10).parentRunId, runs.slice10);
});

test('comparing the two slices: the table equals SQLite, every chart drew, CSV and PNG export', async () => {
  await room('Runs');
  for (const id of [runs.slice25, runs.slice10]) await page.getByLabel(`Select run ${id} for comparison`).check();
  await page.getByRole('button', { name: 'Compare 2 runs' }).click();
  const compare = page.getByTestId('compare');
  await compare.waitFor();
  for (const [slice, evaluation] of [
    [runs.slice25, runs.eval25],
    [runs.slice10, runs.eval10],
  ]) {
    const s = readRun(dbFile, slice);
    const e = readRun(dbFile, evaluation);
    const cell = async (row: string) => ((await compare.locator(`tr[data-row="${row}"] td[data-run-id="${slice}"]`).textContent()) ?? '').trim();
    assert.equal(await cell('ratio'), show.ratio(s.settings.ratio as number));
    assert.equal(await cell('d'), String(metric(s, 'd')));
    assert.equal(await cell('perplexity'), show.pplErr(e));
    assert.match(await cell('protocol'), /^WikiText-2 test, first 4 of \d+ windows × 256 tokens$/);
    assert.match(await cell('ppl-delta'), /^\+\d+\.\d{2} ± \d+\.\d{2}$/);
    assert.equal(await cell('accuracy'), show.acc(metric(e, 'average')));
    for (const t of TASKS) assert.equal(await cell(`acc-${t}`), show.acc(metric(e, PRIMARY[t], t)));
  }
  // Five charts, each with data drawn.
  const charts = await colouredPixels(page, '[data-testid="compare"]');
  assert.deepEqual(
    charts.map((c) => c.label),
    ['Perplexity vs slicing ratio', 'Accuracy per task', 'Kept variance per layer', 'Time per phase', 'Peak memory'],
  );
  for (const c of charts) assert.ok(c.coloured > 100, `"${c.label}" drew its data (${c.coloured} coloured pixels)`);
  await compare.scrollIntoViewIfNeeded();
  await shot('09-compare');

  // CSV: the store's numbers to 10 significant digits (no float noise such as 0.9570000000000003).
  const href = (await page.getByTestId('csv-link').getAttribute('href'))!;
  const csv = decodeURIComponent(href.slice(href.indexOf(',') + 1))
    .trim()
    .split('\r\n')
    .map((l) => l.split(','));
  const col = (name: string) => csv[0].indexOf(name);
  for (const [slice, evaluation] of [
    [runs.slice25, runs.eval25],
    [runs.slice10, runs.eval10],
  ]) {
    const line = csv.find((l) => l[0] === String(slice))!;
    assert.equal(Number(line[col('perplexity')]), Number(metric(readRun(dbFile, evaluation), 'ppl').toPrecision(10)));
    for (const v of line.slice(1)) assert.ok(!/\d\.\d*0{6,}[1-9]$|\d\.\d*9{6,}\d$/.test(v), `no float noise in the CSV: ${v}`);
    assert.equal(Number(line[col('d')]), metric(readRun(dbFile, slice), 'd'));
  }
  // PNG: a real image download of the chart.
  const [download] = await Promise.all([page.waitForEvent('download'), compare.getByRole('link', { name: /PNG of Perplexity vs slicing ratio/ }).click()]);
  const png = join(shots, 'exported-perplexity-vs-slicing-ratio.png');
  await download.saveAs(png);
  assert.deepEqual([...readFileSync(png).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  await page.getByRole('button', { name: 'Close' }).click();
});

test("cancelling a slice mid-way and resuming it gives the uninterrupted run's model, bit for bit", async () => {
  await room('Slice wizard');
  await step(/Hardware & plan/);
  await setRatio(25);
  await page.getByRole('button', { name: 'Accept plan: slice at 25 % →' }).click();
  await page.getByRole('button', { name: 'Next: Slice →' }).click();
  await page.getByRole('button', { name: 'Slice again' }).click();
  // Once layer 1 has started (two of five units done), cancel.
  await page.waitForFunction(() => Number(document.querySelector<HTMLProgressElement>('[data-testid="slice-progress"]')?.value ?? 0) >= 0.4, undefined, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Cancel slicing' }).click();
  await page.locator('[data-testid="slice-status"][data-status="cancelled"]').waitFor({ timeout: 30_000 });
  runs.cancelled = await runIdIn('#step-slice-title + .muted');
  assert.equal(readRun(dbFile, runs.cancelled).status, 'cancelled');
  await shot('10-cancelled');

  await page.getByRole('button', { name: `Resume run #${runs.cancelled}` }).click();
  await page.locator('[data-testid="slice-status"][data-status="done"]').waitFor({ timeout: 120_000 });
  runs.resumed = await runIdIn('#step-slice-title + .muted');
  assert.notEqual(runs.resumed, runs.cancelled);
  const resumed = readRun(dbFile, runs.resumed);
  const reference = readRun(dbFile, runs.slice25);
  assert.equal(resumed.settings.resumeOf, runs.cancelled);
  assert.ok(typeof resumed.result!.resumedAt === 'number', `the run continued from a checkpoint (resumedAt ${resumed.result!.resumedAt})`);
  const sha = (r: typeof resumed) => r.artifacts.find((a) => a.kind === 'sliced-model')!.sha256;
  assert.equal(sha(resumed), sha(reference), 'same safetensors bytes as the uninterrupted run');
  assert.equal(metric(resumed, 'd'), metric(reference, 'd'));
  await shot('11-resumed');

  await room('Runs');
  await page.locator(`tr[data-run-id="${runs.cancelled}"] .status.cancelled`).waitFor();
  await page.locator(`tr[data-run-id="${runs.resumed}"] .status.done`).waitFor();
  await page.locator(`tr[data-run-id="${runs.resumed}"]`).getByText(`continues run ${runs.cancelled}`).waitFor();
  await shot('12-runs-after-resume');

  // Delete the cancelled run: an inline confirmation, then the row and its records are gone.
  await page.getByRole('button', { name: `Delete run ${runs.cancelled}` }).click();
  await page
    .getByRole('group', { name: `Confirm deletion of run ${runs.cancelled}` })
    .getByRole('button', { name: 'Delete' })
    .click();
  await page.locator(`tr[data-run-id="${runs.cancelled}"]`).waitFor({ state: 'detached' });
  assert.throws(() => readRun(dbFile, runs.cancelled), /is not in/);
  assert.deepEqual(problems, []);
});

test('a bare config.json (LLaMA-2-70B) is planned for two 24 GiB GPUs in 4-bit, and cannot be sliced', async () => {
  const config = sharedData('configs', 'llama-2-70b-hf.json');
  await room('Slice wizard');
  await step(/Model/);
  const field = page.getByLabel('Model folder or config.json');
  await field.fill(config);
  await field.press('Enter');
  await page.getByText('is a bare config.json: you can plan it, but slicing needs the weights').waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: 'Next: Hardware & plan →' }).click();
  await page.getByLabel('Other GPUs').check();
  await page.getByLabel('GPU sizes in GiB, in order').fill('24,24');
  await page.getByLabel('q4', { exact: true }).check();
  await page.locator('#plan-ctx').fill('4096');
  const reply = await api<{ plan: { fits: boolean; ratio: number | null; d: number | null } }>('planModel', [config, { gpus: [24, 24], format: 'q4', ctx: 4096, batch: 1, ratio: 0.25 }]);
  const recommendation = page.getByTestId('plan-recommendation');
  const expected = reply.plan.fits && reply.plan.ratio !== null ? (reply.plan.ratio === 0 ? 'The dense model already fits' : `Smallest ratio that fits: ${Math.round(reply.plan.ratio * 100)} % (d = ${reply.plan.d}).`) : 'nothing fits';
  await recommendation.getByText(expected, { exact: false }).waitFor({ timeout: 10_000 });
  assert.equal(await page.locator('[data-testid="device-bars"] .device').count(), 2);
  assert.equal(await page.getByRole('button', { name: /^Accept plan/ }).isDisabled(), true);
  await page.getByText('A bare config.json can be planned, not sliced').waitFor();
  await shot('13-plan-70b-config');
  // Bad input is one clear line, not a stack trace.
  await page.getByLabel('GPU sizes in GiB, in order').fill('24,lots');
  const alert = page.locator('.plan-result [role="alert"]');
  await alert.getByText('"24,lots" is not a list of GPU sizes in GiB').waitFor();
  await step(/Model/);
  await field.fill('/no/such/model');
  await field.press('Enter');
  const missing = page.locator('.step-body [role="alert"]');
  await missing.waitFor();
  assert.match((await missing.textContent())!, /\/no\/such\/model/);
  assert.equal(await page.getByRole('button', { name: 'Next: Hardware & plan →' }).isDisabled(), true);
  await shot('14-missing-model');
  // The inspection's deliberate 400 is expected; nothing else may have gone wrong in the page.
  assert.deepEqual(
    problems.filter((p) => !p.includes('status of 400')),
    [],
  );
});
