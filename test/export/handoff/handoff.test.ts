// The hand-off after a GGUF export, through the real CLI and a real export: `ollama create` run from PATH (a
// stand-in executable that records its argv and prints like ollama — the fixture is ollama, what is tested is our
// process handling), a copy into LM Studio's models folder under a temporary HOME, and the exact commands when
// neither runtime is there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { exportModel } from '../../../core/export/index';
import { quietContext } from '../../../core/base/job-context';
import { REPO_ROOT, sharedModel } from '../../shared';
import { CLI_ENTRY, storedRun } from '../../transports/cli-helpers';

const STAND_IN = join(REPO_ROOT, 'test/fixtures/ollama-stand-in');
let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'ss-handoff-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI with its own PATH and HOME (the node running it is found by its absolute path). */
function cli(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, [...CLI_ENTRY, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { ...process.env, SLICE_STUDIO_DATA: join(dir, 'data'), PATH: dirname(process.execPath), HOME: join(dir, 'empty-home'), ...env },
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** `export <tiny-stories> --format gguf --dtype f16 --out <gguf>`, then the flags under test. */
const exportF16 = (gguf: string): string[] => ['export', sharedModel('tiny-stories'), '--format', 'gguf', '--dtype', 'f16', '--out', gguf];

test('export --ollama runs `ollama create <name> -f <x>.Modelfile` in the file’s folder, and --lmstudio copies the file into LM Studio’s models folder', () => {
  const home = join(dir, 'home');
  mkdirSync(join(home, '.lmstudio', 'models'), { recursive: true });
  const argvFile = join(dir, 'argv-ok.txt');
  const gguf = join(dir, 'out', 'stories-f16.gguf');
  const r = cli({ PATH: `${STAND_IN}${delimiter}${dirname(process.execPath)}`, HOME: home, OLLAMA_ARGV_FILE: argvFile }, ...exportF16(gguf), '--ollama', 'stories:f16', '--lmstudio');
  assert.equal(r.code, 0, r.err);
  const [cwd, ...argv] = readFileSync(argvFile, 'utf8').trim().split('\n');
  assert.equal(cwd, join(dir, 'out'));
  assert.deepEqual(argv, ['create', 'stories:f16', '-f', join(dir, 'out', 'stories-f16.Modelfile')]);
  assert.match(readFileSync(join(dir, 'out', 'stories-f16.Modelfile'), 'utf8'), /^FROM \.\/stories-f16\.gguf$/m);
  assert.match(r.out, /Ollama: created stories:f16 \(ollama run stories:f16\)/);
  // ollama's progress redraws arrive as lines of their own in the job's log
  assert.match(r.err, /ollama: copying file sha256:0f1e 100%/);
  assert.match(r.err, /ollama: success/);
  const copy = join(home, '.lmstudio', 'models', 'slice-studio', 'stories-f16', 'stories-f16.gguf');
  assert.match(r.out, new RegExp(`LM Studio: copied to ${copy.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  assert.equal(statSync(copy).size, statSync(gguf).size);
});

test('ollama present but failing: its own message in one line with its exit code, exit 1, and the export is kept and recorded', () => {
  const argvFile = join(dir, 'argv-fail.txt');
  const gguf = join(dir, 'fail', 'stories-f16.gguf');
  const r = cli({ PATH: `${STAND_IN}${delimiter}${dirname(process.execPath)}`, OLLAMA_ARGV_FILE: argvFile, OLLAMA_FAIL: 'invalid model name' }, ...exportF16(gguf), '--ollama', 'stories', '--json');
  assert.equal(r.code, 1);
  const lines = r.err
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('{'));
  assert.equal(lines.filter((l) => /failed/.test(l)).length, 1, r.err);
  assert.match(r.err, /^ollama create stories failed \(exit code 3\): Error: invalid model name$/m);
  assert.doesNotMatch(r.err, /\n\s+at /); // no stack
  assert.ok(existsSync(gguf));
  const last = JSON.parse(r.out) as { runId: number; result: { handoff: { ollama: { status: string } } } };
  assert.equal(last.result.handoff.ollama.status, 'failed');
  assert.equal(storedRun(join(dir, 'data'), last.runId).status, 'done');
});

test('without ollama on PATH or an LM Studio models folder, export prints the exact commands to run', () => {
  const gguf = join(dir, 'none', 'stories-f16.gguf');
  const r = cli({}, ...exportF16(gguf), '--ollama', 'stories', '--lmstudio');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`Ollama \\(not on PATH\\): cd ${join(dir, 'none')} && ollama create stories -f stories-f16\\.Modelfile`));
  const dest = join(dir, 'empty-home', '.lmstudio', 'models', 'slice-studio', 'stories-f16');
  assert.ok(r.out.includes(`LM Studio (no models folder): mkdir -p ${dest} && cp ${gguf} ${join(dest, 'stories-f16.gguf')}`), r.out);
  assert.ok(!existsSync(join(dir, 'empty-home', '.lmstudio')), 'LM Studio folders are never created');
});

test('an Ollama name ollama would refuse is refused before anything is written', () => {
  const gguf = join(dir, 'badname', 'x.gguf');
  const r = cli({}, 'export', sharedModel('tiny-stories'), '--format', 'gguf', '--out', gguf, '--ollama', 'my model!');
  assert.equal(r.code, 1);
  assert.match(r.err, /^slice-studio: "my model!" is not an Ollama model name[^\n]*\n$/);
  assert.ok(!existsSync(gguf));
});

test('two GGUF exports into one folder keep one Modelfile each, named after the file', async () => {
  const out = join(dir, 'two');
  for (const dtype of ['f16', 'q8_0'] as const) await exportModel(quietContext(), { model: sharedModel('tiny-llama'), format: 'gguf', dtype, out });
  for (const dtype of ['f16', 'q8_0']) {
    const text = readFileSync(join(out, `tiny-llama-${dtype}.Modelfile`), 'utf8');
    assert.match(text, new RegExp(`^FROM \\./tiny-llama-${dtype}\\.gguf$`, 'm'));
    assert.match(text, new RegExp(`ollama create <name> -f tiny-llama-${dtype}\\.Modelfile`));
  }
  assert.ok(!existsSync(join(out, 'Modelfile')));
});
