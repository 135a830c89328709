// `npm start` (after the build): the desktop window when Electron's binary is installed or can be fetched
// (Electron downloads it on first launch), else the same UI in the browser through the local server, with one
// line saying why. Plain Node: Electron is never imported as a value here, only its package files are read.
import { spawn, spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const require = createRequire(import.meta.url);

/** Why a download from `host` failed, in words (its installer only says "fetch failed"). */
async function reason(host, message) {
  if (message !== 'fetch failed') return message;
  const name = /^\w+:\/\//.test(host) ? new URL(host).hostname : host;
  try {
    await lookup(name);
    return `${name} did not answer`;
  } catch (e) {
    return `${name} cannot be resolved: ${e.code ?? e.message}`;
  }
}

/** Electron's executable, or why there is none (one line). */
async function electronBinary() {
  let pkg;
  try {
    pkg = dirname(require.resolve('electron/package.json'));
  } catch {
    return { why: 'the electron package is not installed' };
  }
  const pathFile = join(pkg, 'path.txt');
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const installed = () => existsSync(pathFile) && existsSync(join(override ?? join(pkg, 'dist'), readFileSync(pathFile, 'utf8')));
  if (!installed() && !override) {
    const host = process.env.ELECTRON_MIRROR ?? 'github.com';
    console.error(`fetching Electron's binary from ${host} (first launch only)…`);
    // Its installer prints a whole stack on failure: keep it, and say only its first line.
    const r = spawnSync(process.execPath, [join(pkg, 'install.js')], { cwd: pkg, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (r.status !== 0 || !installed()) {
      const first = (r.stderr || r.error?.message || 'no output')
        .trim()
        .split('\n')[0]
        .replace(/^\w*Error: /, '');
      return { why: `Electron's binary could not be downloaded (${await reason(host, first)})` };
    }
  }
  if (!installed()) return { why: `ELECTRON_OVERRIDE_DIST_PATH (${override}) holds no Electron binary` };
  return { path: join(override ?? join(pkg, 'dist'), readFileSync(pathFile, 'utf8')) };
}

function run(cmd, args) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit' });
  // Ctrl+C reaches the child through the terminal's process group: this process waits for it to stop.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const electron = await electronBinary();
if (electron.path) run(electron.path, ['.']);
else {
  console.error(`slice-studio: ${electron.why}; opening the app in the browser instead (npm run serve).`);
  run(process.execPath, ['--import', 'tsx', join(root, 'core/transports/cli/main.ts'), 'serve', '--open']);
}
