// The README's machine-readable CLI invocations (`npm run -s cli -- … --json`) print JSON and nothing else on
// stdout: what a user pipes into jq must parse. Runs each documented line through npm itself, as the user does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT, SHARED } from '../shared';

/** Every `npm run -s cli -- … --json` command line of the README, without its pipe or comment. */
function documentedJsonInvocations(): string[][] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  return readme
    .split('\n')
    .map((l) => /^npm run -s cli -- (.*?)(?:\s+[|#].*)?$/.exec(l.trim())?.[1])
    .filter((cmd): cmd is string => cmd !== undefined && /(^|\s)--json(\s|$)/.test(cmd))
    .map((cmd) => cmd.split(/\s+/).map((w) => w.replace(/^\.\.\/shared\//, `${SHARED}/`)));
}

test("the README's --json invocations print only JSON on stdout (npm's banner stays off it)", () => {
  const lines = documentedJsonInvocations();
  assert.ok(lines.length >= 1, 'the README documents a --json invocation');
  const data = mkdtempSync(join(tmpdir(), 'ss-readme-'));
  try {
    for (const argv of lines) {
      const r = spawnSync('npm', ['run', '-s', 'cli', '--', ...argv, '--data-dir', data], { cwd: REPO_ROOT, encoding: 'utf8' });
      assert.equal(r.status, 0, `${argv.join(' ')}: ${r.stderr}`);
      assert.doesNotThrow(() => JSON.parse(r.stdout), `stdout of ${argv.join(' ')} is JSON: ${r.stdout.slice(0, 200)}`);
    }
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
});
