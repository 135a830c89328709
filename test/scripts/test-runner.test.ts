// `npm test` on a machine without Chromium: the browser tests are skipped in one line and the run does not hang;
// on CI (CI=true) they are not skipped (there a missing browser must fail them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../shared';

test('without Chromium on PATH, the e2e files are skipped with one line and the runner exits 0', () => {
  const empty = mkdtempSync(join(tmpdir(), 'ss-nopath-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, PATH: empty };
    delete env.CI;
    delete env.CHROMIUM_PATH;
    const r = spawnSync(process.execPath, [join(REPO_ROOT, 'scripts/test.mjs'), 'test/e2e/foundation'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'skipping 1 browser test file(s) in test/e2e: no Chromium found; install it (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary\n');
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('the browser finder takes CHROMIUM_PATH, else searches PATH, and CI requires a browser', async () => {
  const { browserRequired, findChromium } = await import('../../scripts/chromium.mjs');
  assert.equal(findChromium({ PATH: '/nonexistent' }), null);
  assert.equal(findChromium({ CHROMIUM_PATH: process.execPath }), process.execPath);
  assert.equal(findChromium({ CHROMIUM_PATH: '/no/such/chromium', PATH: '/usr/bin' }), null);
  assert.equal(browserRequired({ CI: 'true' }), true);
  assert.equal(browserRequired({ CI: 'false' }), false);
  assert.equal(browserRequired({}), false);
});
