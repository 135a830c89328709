// `npm start` where Electron's binary cannot be downloaded: one line says why, and the same UI is served for
// the browser instead (scripts/start.mjs). The download is pointed at a closed local port so it fails on any
// machine; where Electron is already installed there is nothing to fall back from.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from '../shared';

const electronPkg = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
const installed = existsSync(join(electronPkg, 'path.txt'));

test('without an Electron binary, npm start says why in one line and serves the app for the browser', { skip: installed ? "Electron's binary is installed here" : false, timeout: 120_000 }, async () => {
  const tmp = mkdtempSync(join(tmpdir(), 'ss-start-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ELECTRON_MIRROR: 'http://127.0.0.1:9/',
    electron_config_cache: join(tmp, 'cache'),
    SLICE_STUDIO_DATA: join(tmp, 'data'),
  };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  delete env.ELECTRON_OVERRIDE_DIST_PATH;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts/start.mjs')], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).on('line', (l) => {
        const m = /serving at (\S+)/.exec(l);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (code) => reject(new Error(`start exited with ${code}: ${err}`)));
    });
    const lines = err.trim().split('\n');
    const why = lines.filter((l) => l.startsWith('slice-studio: '));
    assert.equal(why.length, 1, err);
    assert.match(why[0]!, /^slice-studio: Electron's binary could not be downloaded \(127\.0\.0\.1 did not answer\); opening the app in the browser instead/);
    assert.ok(!/\n\s+at /.test(err), `no stack trace: ${err}`);
    const token = new URL(url).searchParams.get('token')!;
    const res = await fetch(new URL('/api/getAppInfo', url), { method: 'POST', headers: { 'x-slice-studio-token': token }, body: '[]' });
    const body = (await res.json()) as { ok: boolean; result: { dataDir: string } };
    assert.equal(body.ok, true);
    assert.equal(body.result.dataDir, join(tmp, 'data'));
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    rmSync(tmp, { recursive: true, force: true });
  }
});
