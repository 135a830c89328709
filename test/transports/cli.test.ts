import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedModel } from '../shared';
import { COMMANDS } from '../../core/transports/cli/commands/index';
import { CLI_ENTRY } from './cli-helpers';

const root = join(import.meta.dirname, '../..');
let data: string;

function cli(...args: string[]) {
  return cliWith({}, ...args);
}

/** The CLI with extra environment (undefined removes a variable). */
function cliWith(extra: Record<string, string | undefined>, ...args: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, SLICE_STUDIO_DATA: data, ...extra };
  for (const [k, v] of Object.entries(extra)) if (v === undefined) delete env[k];
  const r = spawnSync(process.execPath, [...CLI_ENTRY, ...args], { cwd: root, encoding: 'utf8', env });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

before(() => (data = mkdtempSync(join(tmpdir(), 'ss-cli-'))));
after(() => rmSync(data, { recursive: true, force: true }));

test('inspect --json prints the exact parameter count and records the model in the data dir store', () => {
  const r = cli('inspect', sharedModel('tiny-llama'), '--json');
  assert.equal(r.code, 0, r.err);
  const i = JSON.parse(r.out);
  assert.equal(i.parameterCount, 5_048_576);
  assert.equal(i.family, 'llama');
  assert.ok(existsSync(join(data, 'slice-studio.db')));
});

test('inspect prints a human summary by default', () => {
  const r = cli('inspect', sharedModel('tiny-llama'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /5,048,576/);
});

test('a missing folder prints one clean line on stderr and exits 1', () => {
  const r = cli('inspect', '/no/such/folder');
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.equal(r.err, 'slice-studio: /no/such/folder is not a model folder or config.json Slice Studio can open\n');
});

test('usage errors say what is wrong in one line that points at help', () => {
  for (const [args, message] of [
    [['frobnicate'], new RegExp(`^slice-studio: unknown command "frobnicate" \\(commands: ${COMMANDS.map((c) => c.name).join(', ')}\\)`)],
    [['inspect'], /^slice-studio: inspect needs a model folder or a config\.json path/],
    [['runs', '--status', 'weird'], /^slice-studio: --status must be one of queued, running, done, failed, cancelled/],
    [['serve', '--port', '99999'], /^slice-studio: --port must be an integer from 0 to 65535/],
    [['runs', '--colour'], /^slice-studio: unknown option --colour/],
  ] as const) {
    const r = cli(...args);
    assert.equal(r.code, 1, args.join(' '));
    assert.match(r.err, message);
    assert.ok(r.err.endsWith(' (see "slice-studio help")\n') && r.err.split('\n').length === 2, r.err);
    assert.ok(!/\n\s+at /.test(r.err), 'no stack trace');
  }
});

test('runs lists the store (--data-dir picks it), as JSON or a table', () => {
  const other = join(data, 'other');
  const json = cli('runs', '--json', '--data-dir', other);
  assert.equal(json.code, 0, json.err);
  assert.deepEqual(JSON.parse(json.out), []);
  assert.ok(existsSync(join(other, 'slice-studio.db')));
  assert.equal(cli('runs').out.trim(), 'No runs yet.');
});

test('global options may come before the command, their value is not taken for it', () => {
  const other = join(data, 'before');
  const r = cli('--data-dir', other, 'inspect', sharedModel('tiny-llama'), '--json');
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).parameterCount, 5_048_576);
  assert.ok(existsSync(join(other, 'slice-studio.db')));
  const eq = cli(`--data-dir=${other}`, '--json', 'runs');
  assert.equal(eq.code, 0, eq.err);
  assert.deepEqual(JSON.parse(eq.out), []);
});

test('serve on a non-loopback host without --allow-remote is refused in one line', () => {
  const r = cli('serve', '--host', '0.0.0.0', '--port', '0');
  assert.equal(r.code, 1);
  assert.equal(r.out, '');
  assert.match(r.err, /^slice-studio: 0\.0\.0\.0 is not a loopback address: .*pass --allow-remote/);
  assert.equal(r.err.trim().split('\n').length, 1, r.err);
});

test('hardware --json reports the CPU, the probes and the chosen provider', () => {
  const r = cli('hardware', '--json');
  assert.equal(r.code, 0, r.err);
  const h = JSON.parse(r.out);
  assert.ok(h.cpu.cores >= 1);
  assert.ok(h.providers.some((p: { ep: string; available: boolean }) => p.ep === 'cpu' && p.available));
  assert.ok(typeof h.chosenProvider.reason === 'string' && h.chosenProvider.reason.length > 0);
  assert.equal(h.disk.path, data);
});

test('fingerprint runs as a job: --json prints one document like every job command, and the run is recorded as a fingerprint run', () => {
  const r = cli('fingerprint', sharedModel('tiny-llama'), '--json');
  assert.equal(r.code, 0, r.err);
  const doc = JSON.parse(r.out) as { runId: number; jobId: string; status: string; result: { bytes: number } };
  assert.equal(doc.status, 'done');
  assert.equal(doc.result.bytes, 10_409_986);
  assert.ok(doc.jobId && doc.runId > 0);
  const recorded = (JSON.parse(cli('runs', '--kind', 'fingerprint', '--json').out) as { id: number; kind: string }[]).map((x) => [x.id, x.kind]);
  assert.deepEqual(recorded, [[doc.runId, 'fingerprint']]);
  const failed = cli('fingerprint', '/no/such/folder');
  assert.equal(failed.code, 1);
  assert.equal(failed.err, 'slice-studio: no such folder: /no/such/folder\n');
  const runs = JSON.parse(cli('runs', '--json').out) as { status: string; name: string }[];
  assert.deepEqual(
    runs.slice(0, 2).map((x) => x.status),
    ['failed', 'done'],
  );
});

test('help lists every command', () => {
  const r = cli('help');
  assert.equal(r.code, 0);
  const names = COMMANDS.map((c) => c.name);
  for (const c of ['hardware', 'inspect', 'plan', 'slice', 'ppl', 'eval', 'bench', 'generate', 'demo', 'fingerprint', 'runs', 'serve', 'help']) assert.ok(names.includes(c), c);
  for (const c of names) assert.match(r.out, new RegExp(`^  ${c}`, 'm'));
  assert.deepEqual(
    JSON.parse(cli('help', '--json').out).map((c: { name: string }) => c.name),
    names,
  );
});

test('help fits a 100-column terminal', () => {
  const long = cli('help')
    .out.split('\n')
    .filter((l) => l.length > 100);
  assert.deepEqual(long, []);
});

test('suggested commands say `npm run cli --` when run through the npm script of a clone, `slice-studio` otherwise', () => {
  const viaNpm = cliWith({ npm_lifecycle_event: 'cli', npm_package_name: 'slice-studio' }, 'inspect');
  assert.match(viaNpm.err, / \(see "npm run cli -- help"\)\n$/);
  assert.match(cliWith({ npm_lifecycle_event: 'cli', npm_package_name: 'slice-studio' }, 'help').out, /^usage: npm run cli -- <command>/m);
  const installed = cliWith({ npm_lifecycle_event: undefined, npm_package_name: undefined }, 'inspect');
  assert.match(installed.err, / \(see "slice-studio help"\)\n$/);
});
