// A clone anywhere must pass: tests and benchmarks reach the shared assets only through test/shared.ts
// (../shared next to the checkout, or SLICE_STUDIO_SHARED), never through one machine's absolute path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT, SHARED } from './shared';

const SELF = relative(REPO_ROOT, import.meta.filename);
const HELPER = join('test', 'shared.ts');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'results' && name !== 'fixtures') out.push(...sources(p));
    } else if (/\.(ts|mts|mjs|js|py|sh)$/.test(name)) out.push(p);
  }
  return out;
}

const files = ['test', 'bench'].flatMap((d) => sources(join(REPO_ROOT, d))).map((p) => relative(REPO_ROOT, p));

// Built from parts so that this file does not match itself.
const MACHINE_PATH = new RegExp(`['"\`](/${'work'}/|/${'home'}/|/${'Users'}/|/${'root'}/)`);
const OWN_SHARED_PATH = new RegExp(`['"\`](\\.\\./)+${'shared'}/|'${'shared'}', '`);

test('no test or benchmark names an absolute machine path (/work/, /home/, /Users/, /root/)', () => {
  assert.ok(files.length > 50, `found ${files.length} source files under test/ and bench/`);
  const offenders = files.filter((f) => f !== SELF && MACHINE_PATH.test(readFileSync(join(REPO_ROOT, f), 'utf8')));
  assert.deepEqual(offenders, []);
});

test('no test or benchmark builds its own path to ../shared: test/shared.ts is the one place', () => {
  const offenders = files.filter((f) => f !== SELF && f !== HELPER && OWN_SHARED_PATH.test(readFileSync(join(REPO_ROOT, f), 'utf8')));
  assert.deepEqual(offenders, []);
});

test('the shared folder resolves next to the checkout unless SLICE_STUDIO_SHARED says otherwise', () => {
  const expected = process.env.SLICE_STUDIO_SHARED ? SHARED : join(REPO_ROOT, '..', 'shared');
  assert.equal(SHARED, expected);
  assert.ok(statSync(join(SHARED, 'models', 'tiny-llama', 'config.json')).isFile(), `shared models at ${SHARED}`);
});
