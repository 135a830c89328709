// Runs the whole suite with Node's own test runner (its summary lines are what CI reads).
// Usage: npm test [-- substring ...]  — only test files whose path contains one of the substrings.
// The end-to-end test drives the built UI, so the renderer is (re)built first when it is missing or older
// than its sources.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { browserRequired, CHROMIUM_HINT, findChromium } from './chromium.mjs';
import { cliBundleFresh, newest } from './newest.mjs';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts')) files.push(relative(root, p));
  }
})(join(root, 'test'));
let chosen = filters.length ? files.filter((f) => filters.some((s) => f.includes(s))) : files;
if (chosen.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(1);
}

// Without a browser the end-to-end tests cannot run: skip them with one line, except on CI (CI=true), where
// they must run and a missing browser fails them (the e2e session says why).
const browserTests = chosen.filter((f) => f.startsWith('test/e2e/'));
if (browserTests.length && !findChromium() && !browserRequired()) {
  console.log(`skipping ${browserTests.length} browser test file(s) in test/e2e: no Chromium found; ${CHROMIUM_HINT}`);
  chosen = chosen.filter((f) => !browserTests.includes(f));
  if (chosen.length === 0) process.exit(0);
}

if (chosen.some((f) => f.startsWith('test/e2e/'))) {
  const index = join(root, 'renderer/dist/index.html');
  const sources = ['renderer/src', 'renderer/public', 'renderer/index.html', 'renderer/vite.config.ts', 'core/api', 'core/transports/csp.ts'];
  if (!existsSync(index) || statSync(index).mtimeMs < newest(sources.map((p) => join(root, p)))) {
    console.log('building the renderer for the end-to-end test…');
    const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), 'renderer'], { cwd: root, stdio: 'inherit' });
    if (b.status !== 0) process.exit(b.status ?? 1);
  }
}

// Files run JOBS at a time (SLICE_STUDIO_TEST_JOBS, default JOBS_DEFAULT), each its own process: much of a file's
// time is one thread (tsx startup, float64 JS, waiting on a child CLI), which node's own default (cores − 1) leaves
// the second core idle for on a two-core machine. The browser tests then run one at a time, by themselves: each
// drives a server, its jobs and Chromium against UI timeouts, which a neighbour's slicing must not eat into.
const JOBS_DEFAULT = Math.max(2, availableParallelism() - 1);
const jobs = process.env.SLICE_STUDIO_TEST_JOBS ? Number(process.env.SLICE_STUDIO_TEST_JOBS) : JOBS_DEFAULT;
if (!(Number.isInteger(jobs) && jobs >= 1)) {
  console.error(`SLICE_STUDIO_TEST_JOBS must be a whole number from 1, is ${process.env.SLICE_STUDIO_TEST_JOBS}`);
  process.exit(1);
}
const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout', '--test-reporter=./scripts/file-times.mjs', '--test-reporter-destination=stderr'];
// Tests that drive the CLI spawn the bundle (test/transports/cli-helpers.ts) — what `slice-studio` runs — when
// it is fresh: a process starts in about a third of tsx's time, and the suite starts ~100 of them.
// SLICE_STUDIO_TEST_CLI=tsx runs them on the TypeScript sources instead.
const drivesCli = chosen.some((f) => readFileSync(join(root, f), 'utf8').includes('cli-helpers'));
if (drivesCli && process.env.SLICE_STUDIO_TEST_CLI !== 'tsx' && !cliBundleFresh(root)) {
  console.log('building the CLI bundle for the tests that run it…');
  const b = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), 'node'], { cwd: root, stdio: 'inherit' });
  if (b.status !== 0) process.exit(b.status ?? 1);
}

/** One node:test run over `files`, `concurrency` at a time; its exit status. */
function runFiles(files, concurrency, timesFile) {
  const env = timesFile ? { ...process.env, SLICE_STUDIO_TEST_TIMES: timesFile } : process.env;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, ...reporters, ...files], { cwd: root, stdio: 'inherit', env });
  return r.status ?? 1;
}

const times = process.env.SLICE_STUDIO_TEST_TIMES;
const rest = chosen.filter((f) => !f.startsWith('test/e2e/'));
const browser = chosen.filter((f) => f.startsWith('test/e2e/'));
let status = rest.length ? runFiles(rest, jobs, times) : 0;
if (browser.length) {
  if (rest.length) console.log(`\nbrowser tests (${browser.length} file(s), one at a time):`);
  status = runFiles(browser, 1, times && rest.length ? times.replace(/(\.json)?$/, '-browser.json') : times) || status;
}
process.exit(status);
