// The jobs runner must also work from the esbuild bundles (no tsx at run time): the runner finds
// job-worker.mjs beside itself and the worker runs the registered job.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { build } from 'esbuild';
// @ts-expect-error: plain .mjs build script without type declarations
import { buildBench, buildNode, EXTERNAL } from '../../scripts/build.mjs';
import { sharedModel } from '../shared';

const root = join(import.meta.dirname, '../..');
const model = sharedModel('tiny-llama');
let out: string;

before(async () => {
  // Inside the repo, so the bundles' external packages resolve from node_modules as they do in dist/.
  mkdirSync(join(root, 'test-output'), { recursive: true });
  out = mkdtempSync(join(root, 'test-output', 'bundle-'));
  await buildNode(out);
  await buildBench(out);
  const entry = join(out, 'check.ts');
  writeFileSync(
    entry,
    `import { JobRunner } from ${JSON.stringify(join(root, 'core/jobs/runner.ts'))};
     const runner = await JobRunner.create({ recorder: { started: () => 1, ended() {} } });
     const { jobId } = runner.start({ kind: 'fingerprint', params: { path: process.argv[2] } });
     console.log(JSON.stringify(await runner.wait(jobId)));`,
  );
  await build({
    entryPoints: [entry],
    outfile: join(out, 'check.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    external: EXTERNAL,
    logLevel: 'error',
  });
});

after(() => rmSync(out, { recursive: true, force: true }));

test('a bundled runner starts the bundled job worker and gets the job result', () => {
  assert.ok(existsSync(join(out, 'job-worker.mjs')));
  const r = spawnSync(process.execPath, [join(out, 'check.mjs'), model], { encoding: 'utf8', execArgv: [] } as never);
  assert.equal(r.status, 0, r.stderr);
  const end = JSON.parse(r.stdout) as { type: string; result: { bytes: number; files: unknown[] } };
  assert.equal(end.type, 'done');
  assert.equal(end.result.bytes, 10_409_986);
  assert.equal(end.result.files.length, 5);
});

test('the bundled CLI runs without tsx: inspect prints the exact parameter count', () => {
  const data = join(out, 'data');
  const r = spawnSync(process.execPath, [join(out, 'cli.mjs'), 'inspect', model, '--json', '--data-dir', data], {
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).parameterCount, 5_048_576);
});

test('the pipeline bench bundles into one file that loads only onnxruntime-node and node-llama-cpp from node_modules (no store: no better-sqlite3)', () => {
  const text = readFileSync(join(out, 'bench-pipeline.mjs'), 'utf8');
  // an import is `from "pkg"` or `import("pkg")`; a string such as the pipeline's `f.get("from")` is not
  const packages = new Set([...text.matchAll(/(?:\bfrom\s+|\bimport\(\s*)"([^".][^"]*)"/g)].map((m) => m[1]).filter((p) => !p.startsWith('node:')));
  assert.deepEqual([...packages].sort(), ['node-llama-cpp', 'onnxruntime-node']);
});
