// End to end through the Export panel, in Debian's Chromium against `serve` (a fresh data directory):
// slice the shared tiny-llama at 25 % through the API (16 × 128 calibration tokens), open the slice's
// Export action in Runs (the type defaults to the source's f16), export it to ONNX f32, check the artifact
// on screen equals the SQLite row, verify it in onnxruntime from the UI (2 windows) and check the numbers
// shown against the recorded metrics (the slice's own evaluation, first 64 windows, stays what its Runs row
// shows); GGUF is not offered for this per-layer slice, with the reason in
// the app's words. Then a uniform slice
// of the same model at the same ratio (rotation: 'uniform', same calibration) goes to GGUF f16 from the UI
// and is verified in llama.cpp, and the "Quality by rotation" table shows both slices' perplexities as
// SQLite holds them. Screenshots go to test-output/e2e/export/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Page } from 'playwright-core';
import type { ServeProcess } from './serve-process';
import { openE2e, type E2eSession } from './session';
import { metric, readRun } from './helpers-wizard';
import { sharedModel } from '../shared';

const root = join(import.meta.dirname, '../..');
const model = sharedModel('tiny-llama');
const shots = join(root, 'test-output/e2e/export');
let e2e: E2eSession;
let data: string;
let dbFile: string;
let server: ServeProcess;
let page: Page;
let problems: string[];
let sliceRun = 0;
let sliced = '';
let pplRun = 0;

before(async () => {
  e2e = await openE2e({ prefix: 'ss-export-', shots, cleanShots: true });
  ({ data, dbFile, server, page, problems } = e2e);
});

after(() => e2e?.close());

const api = <T>(method: string, args: unknown[] = []) => e2e.api<T>(method, args);

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
const text = async (selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();

interface ArtifactDb {
  path: string;
  format: string;
  bytes: number;
  sha256: string;
  runtime: string;
}
function artifactsOf(runId: number): ArtifactDb[] {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT path, format, bytes, sha256, runtime FROM artifacts WHERE run_id = ? ORDER BY id').all(runId) as ArtifactDb[];
  } finally {
    db.close();
  }
}

test('a 25 % slice of tiny-llama (16 × 128 calibration) is listed in Runs with an Export action', async () => {
  const ids = await api<{ jobId: string; runId: number }>('startJob', [{ kind: 'slice', params: { model, ratio: 0.25, nsamples: 16, seqlen: 128, out: join(data, 'sliced-25') } }]);
  sliceRun = ids.runId;
  const deadline = Date.now() + 60_000;
  while (readRun(dbFile, sliceRun).status !== 'done') {
    assert.ok(!['failed', 'cancelled'].includes(readRun(dbFile, sliceRun).status), 'the slice finishes');
    assert.ok(Date.now() < deadline, 'the slice finishes within a minute');
    await new Promise((r) => setTimeout(r, 250));
  }
  sliced = readRun(dbFile, sliceRun).result!.out as string;
  await page.goto(`${server.url}#runs`);
  await page.locator(`tr[data-run-id="${sliceRun}"]`).waitFor({ timeout: 15_000 });
  // Keyboard: focus the action and press Enter.
  const action = page.getByRole('button', { name: `Export run ${sliceRun}` });
  await action.focus();
  await page.keyboard.press('Enter');
  await page.locator('#runs-export-title').waitFor();
  assert.equal(await text('[data-testid="export-model"]'), sliced);
  // One row per export format of the catalog (onnx, gguf, safetensors, hf).
  assert.deepEqual(await page.locator('[data-testid="export-matrix"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-format'))), ['onnx', 'gguf', 'safetensors', 'hf']);
  const info = await api<{ dataDir: string }>('getAppInfo');
  // tiny-llama came as float16: the export type follows it (and the default path follows the type).
  await page.getByTestId('export-source-dtype').getByText('(the model came as f16)').waitFor({ timeout: 10_000 });
  assert.equal(await page.getByLabel('f16', { exact: true }).isChecked(), true);
  assert.equal(await page.locator('#export-out').inputValue(), join(info.dataDir, 'exports', 'sliced-25-onnx-f16'));
  await page.getByLabel('f32', { exact: true }).check();
  assert.equal(await page.locator('#export-out').inputValue(), join(info.dataDir, 'exports', 'sliced-25-onnx-f32'));
});

test('the slice is evaluated with the default protocol (first 64 WikiText-2 test windows × 256), its dense model once beside it', async () => {
  pplRun = (await api<{ runId: number }>('startJob', [{ kind: 'ppl', params: { model: sliced } }])).runId;
  // Two models × 64 windows on a shared 2-core machine.
  await finished(pplRun, "the slice's perplexity", 240);
  const run = readRun(dbFile, pplRun);
  assert.equal(metric(run, 'windows'), 64);
  assert.equal(metric(run, 'seqlen'), 256);
  // The dense model was measured the same way in the same job, recorded as its own run.
  const [compared] = await api<{ baseline: { ppl: { value: number; protocol: { windows: number; seqlen: number } } | null } | null }[]>('compareRuns', [[pplRun]]);
  assert.ok(compared.baseline?.ppl, 'a dense baseline under the same protocol');
  assert.deepEqual([compared.baseline.ppl.protocol.windows, compared.baseline.ppl.protocol.seqlen], [64, 256]);
});

test('exporting to ONNX f32 shows the artifact exactly as SQLite recorded it', async () => {
  assert.equal(await page.getByLabel('ONNX', { exact: true }).isChecked(), true);
  assert.equal(await page.getByLabel('f32', { exact: true }).isChecked(), true);
  await page.getByRole('button', { name: 'Export', exact: true }).click();
  await page.locator('[data-testid="export-status"][data-status="done"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('export-artifact').waitFor({ timeout: 10_000 });
  const runId = Number(/#(\d+)/.exec(await text('[data-testid="export-run"]'))![1]);
  const [a] = artifactsOf(runId);
  assert.ok(a, 'the export run recorded an artifact');
  assert.equal(await text('[data-testid="artifact-path"]'), a.path);
  assert.ok(existsSync(a.path), 'the artifact is on disk');
  assert.equal(await text('[data-testid="artifact-bytes"]'), a.bytes.toLocaleString('en-US'));
  assert.equal(await text('[data-testid="artifact-sha256"]'), a.sha256);
  assert.match(a.sha256, /^[0-9a-f]{64}$/);
  assert.equal(await text('[data-testid="artifact-format"]'), a.format);
  assert.equal(await text('[data-testid="artifact-runtime"]'), a.runtime);
  assert.equal(a.format, 'onnx:f32');
  await shot('01-onnx-exported');
});

test('verifying the ONNX export in onnxruntime shows its perplexity next to the in-app one, and the greedy text agrees', async () => {
  await page.locator('#verify-windows').fill('2');
  await page.getByRole('button', { name: 'Verify in runtime' }).click();
  await page.locator('[data-testid="verify-status"][data-status="done"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('verify-results').waitFor();
  const runId = Number(/#(\d+)/.exec(await text('[data-testid="verify-run"]'))![1]);
  const run = readRun(dbFile, runId);
  assert.equal(metric(run, 'windows'), 2);
  assert.equal(await text('[data-testid="verify-ppl-export"]'), metric(run, 'ppl_export').toFixed(3));
  assert.equal(await text('[data-testid="verify-ppl-app"]'), metric(run, 'ppl_in_app').toFixed(3));
  assert.equal(await text('[data-testid="verify-ppl-diff"]'), `${(metric(run, 'ppl_relative_difference') * 100).toFixed(3)} %`);
  assert.ok(metric(run, 'ppl_relative_difference') < 1e-3, 'onnxruntime reproduces the in-app perplexity within 0.1 %');
  assert.equal(metric(run, 'greedy_identical'), 1);
  assert.equal(await text('[data-testid="verify-greedy"]'), 'identical');
  await shot('02-onnx-verified');
});

test("after a 2-window verification, the slice's Runs row shows its own evaluation's perplexity with its protocol and the dense value beside it", async () => {
  const own = metric(readRun(dbFile, pplRun), 'ppl');
  await page.goto(`${server.url}#runs`);
  const row = page.locator(`tr[data-run-id="${sliceRun}"]`);
  await row.waitFor({ timeout: 15_000 });
  await row.getByTestId('ppl-value').getByText(own.toFixed(2), { exact: true }).waitFor({ timeout: 15_000 });
  assert.match(((await row.getByTestId('ppl-protocol').textContent()) ?? '').trim(), /^64×256 · ±\d+\.\d{2}$/);
  assert.match((await row.getByTestId('ppl-protocol').getAttribute('title')) ?? '', /WikiText-2 test, first 64 of \d+ windows × 256 tokens/);
  assert.match(((await row.getByTestId('ppl-vs-dense').textContent()) ?? '').trim(), /^dense \d+\.\d{2} · [+−]\d+\.\d{2} ± \d+\.\d{2}$/);
  await shot('02b-runs-own-evaluation');
  // The page is back where the next test expects it: the slice's Export panel.
  await page.getByRole('button', { name: `Export run ${sliceRun}` }).click();
  await page.locator('#runs-export-title').waitFor();
});

test("GGUF is not offered for a per-layer slice, and the reason is in the app's words", async () => {
  assert.equal(await page.getByLabel('GGUF', { exact: true }).isDisabled(), true);
  assert.equal(await page.getByLabel('Hugging Face folder', { exact: true }).isDisabled(), true);
  const reason = await text('[data-testid="gguf-unavailable"]');
  assert.match(reason, /shortcut matrices that llama\.cpp cannot load/);
  assert.match(reason, /uniform rotation/);
  assert.ok(!/--\w/.test(reason), `no CLI flag in the reason: ${reason}`);
  await shot('03-gguf-unavailable');
  // The Runs row of the ONNX export lists its artifact.
  await page.locator('[data-testid="run-artifact"]', { hasText: 'onnx:f32' }).first().waitFor({ timeout: 10_000 });
  // The verify run's perplexity column is a perplexity (not its relative difference to the app's).
  const verifyRow = page.locator('tr', { hasText: 'verify sliced-25-onnx-f32' });
  assert.notEqual(((await verifyRow.locator('[data-col="perplexity"]').textContent()) ?? '').trim(), '0.00');
});

/** Waits for a run to finish (done), failing on failed/cancelled. */
async function finished(runId: number, what: string, seconds = 60): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (readRun(dbFile, runId).status !== 'done') {
    assert.ok(!['failed', 'cancelled'].includes(readRun(dbFile, runId).status), `${what} finishes: ${readRun(dbFile, runId).status}`);
    assert.ok(Date.now() < deadline, `${what} finishes within ${seconds} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

let uniformRun = 0;
let uniformOut = '';
const pplRuns: Record<'per-layer' | 'uniform', number> = { 'per-layer': 0, uniform: 0 };

test('a uniform slice and perplexities of both slices show side by side under "Quality by rotation", equal to SQLite', async () => {
  const u = await api<{ runId: number }>('startJob', [{ kind: 'slice', params: { model, ratio: 0.25, nsamples: 16, seqlen: 128, rotation: 'uniform', out: join(data, 'sliced-25-uniform') } }]);
  uniformRun = u.runId;
  await finished(uniformRun, 'the uniform slice');
  const run = readRun(dbFile, uniformRun);
  assert.equal(run.settings.rotation, 'uniform');
  uniformOut = run.result!.out as string;
  for (const [rotation, folder] of [
    ['per-layer', sliced],
    ['uniform', uniformOut],
  ] as const) {
    const p = await api<{ runId: number }>('startJob', [{ kind: 'ppl', params: { model: folder, seqlen: 128, maxWindows: 4 } }]);
    pplRuns[rotation] = p.runId;
    await finished(p.runId, `the ppl of the ${rotation} slice`);
    assert.equal(readRun(dbFile, p.runId).parentRunId, rotation === 'uniform' ? uniformRun : sliceRun, "the ppl run is the slice's child");
  }
  await page.goto(`${server.url}#runs`);
  await page.locator(`tr[data-run-id="${uniformRun}"]`).waitFor({ timeout: 15_000 });
  await page.getByRole('button', { name: `Export run ${uniformRun}` }).click();
  await page.locator('#runs-export-title').waitFor();
  assert.equal(await text('[data-testid="export-model"]'), uniformOut);
  const table = page.getByTestId('quality-by-rotation');
  await table.waitFor({ timeout: 10_000 });
  for (const rotation of ['per-layer', 'uniform'] as const) {
    const ppl = metric(readRun(dbFile, pplRuns[rotation]), 'ppl');
    const cell = table.locator(`tr[data-rotation="${rotation}"] [data-testid="quality-ppl"]`);
    // The table fills in asynchronously (it reads the runs after it appears): wait for the number, then compare.
    await cell
      .filter({ hasText: /\d/ })
      .waitFor({ timeout: 10_000 })
      .catch(() => {});
    const shown = ((await cell.textContent()) ?? '').trim();
    assert.equal(shown, ppl.toFixed(2), `${rotation} perplexity shown = SQLite`);
    assert.ok(Number.isFinite(ppl) && ppl > 1);
  }
  await shot('04-quality-by-rotation');
});

test('the uniform slice exports to GGUF f16 from the UI, and llama.cpp reproduces it (greedy identical)', async () => {
  await page.getByLabel('GGUF', { exact: true }).check();
  assert.equal(await page.getByLabel('f16', { exact: true }).isChecked(), true);
  assert.match(await page.locator('#export-out').inputValue(), /sliced-25-uniform-gguf-f16\.gguf$/);
  await page.getByRole('button', { name: /^Export( again)?$/ }).click();
  await page.locator('[data-testid="export-status"][data-status="done"]').waitFor({ timeout: 60_000 });
  await page.getByTestId('export-artifact').waitFor({ timeout: 10_000 });
  const runId = Number(/#(\d+)/.exec(await text('[data-testid="export-run"]'))![1]);
  const [a] = artifactsOf(runId);
  assert.ok(a, 'the export run recorded an artifact');
  assert.equal(a.format, 'gguf:f16');
  assert.equal(await text('[data-testid="artifact-path"]'), a.path);
  assert.ok(existsSync(a.path), 'the GGUF file is on disk');
  assert.equal(await text('[data-testid="artifact-bytes"]'), a.bytes.toLocaleString('en-US'));
  assert.equal(await text('[data-testid="artifact-sha256"]'), a.sha256);
  assert.equal(await text('[data-testid="artifact-format"]'), a.format);
  assert.equal(await text('[data-testid="artifact-runtime"]'), a.runtime);

  await page.locator('#verify-windows').fill('2');
  await page.getByRole('button', { name: 'Verify in runtime' }).click();
  await page.locator('[data-testid="verify-status"][data-status="done"]').waitFor({ timeout: 90_000 });
  await page.getByTestId('verify-results').waitFor();
  const vId = Number(/#(\d+)/.exec(await text('[data-testid="verify-run"]'))![1]);
  const v = readRun(dbFile, vId);
  assert.equal(await text('[data-testid="verify-ppl-export"]'), metric(v, 'ppl_export').toFixed(3));
  assert.equal(await text('[data-testid="verify-ppl-app"]'), metric(v, 'ppl_in_app').toFixed(3));
  assert.equal(await text('[data-testid="verify-ppl-diff"]'), `${(metric(v, 'ppl_relative_difference') * 100).toFixed(3)} %`);
  assert.match((await page.locator('[data-testid="verify-results"] thead').textContent()) ?? '', /llama/i);
  assert.equal(metric(v, 'greedy_identical'), 1);
  assert.equal(await text('[data-testid="verify-greedy"]'), 'identical');
  await shot('05-gguf-uniform-verified');
  assert.deepEqual(problems, []);
});
