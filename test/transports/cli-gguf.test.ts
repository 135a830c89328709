// The llama.cpp path from the command line: slice with one uniform rotation (no shortcut matrices), export to
// GGUF, and verify the file in llama.cpp (node-llama-cpp) against the app's own numbers — as a user would.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, models, storedRun } from './cli-helpers';

let data: string;
before(() => (data = mkdtempSync(join(tmpdir(), 'ss-cli-gguf-'))));
after(() => rmSync(data, { recursive: true, force: true }));

/** The JSON a --json command printed: one document, or JSON lines whose last line is the result. */
function lastJson<T>(r: { code: number | null; out: string; err: string }): T {
  assert.equal(r.code, 0, r.err);
  try {
    return JSON.parse(r.out) as T;
  } catch {
    const lines = r.out.trim().split('\n');
    return JSON.parse(lines[lines.length - 1]) as T;
  }
}

test('slice --rotation uniform, export --format gguf, verify-export: llama.cpp reproduces the app', () => {
  const sliced = join(data, 'stories-u25');
  const s = lastJson<{ status: string; runId: number; result: { d: number } }>(
    cli(data, 'slice', join(models, 'tiny-stories'), '--ratio', '0.25', '--rotation', 'uniform', '--cal', 'wikitext2', '--nsamples', '16', '--seqlen', '128', '--sampling', 'first', '--out', sliced, '--json'),
  );
  assert.equal(s.status, 'done');
  assert.equal(s.result.d, 48);
  assert.equal(storedRun(data, s.runId).settings.rotation, 'uniform');

  const gguf = join(data, 'stories-u25.gguf');
  const e = lastJson<{ type?: string; status?: string; runId: number; result: { path: string; bytes: number; format: string } }>(cli(data, 'export', sliced, '--format', 'gguf', '--dtype', 'f16', '--out', gguf, '--json'));
  assert.equal(e.type ?? e.status, 'done');
  assert.equal(e.result.path, gguf);
  assert.ok(existsSync(gguf));
  const art = storedRun(data, e.runId).artifacts[0];
  assert.deepEqual([art.path, art.bytes, art.format], [gguf, e.result.bytes, 'gguf:f16']);

  const v = lastJson<{ type?: string; status?: string; result: { comparison: { pplRelativeDifference: number; greedyIdentical: boolean }; export: { perplexity: { ppl: number } } } }>(cli(data, 'verify-export', gguf, '--max-windows', '2', '--json'));
  assert.equal(v.type ?? v.status, 'done');
  assert.ok(v.result.comparison.pplRelativeDifference < 0.005, `llama.cpp ppl differs by ${v.result.comparison.pplRelativeDifference}`);
  assert.equal(v.result.comparison.greedyIdentical, true);
});

test('a per-layer slice is refused for GGUF with a one-line hint to slice uniformly', () => {
  const sliced = join(data, 'stories-p25');
  lastJson(cli(data, 'slice', join(models, 'tiny-stories'), '--ratio', '0.25', '--cal', 'wikitext2', '--nsamples', '8', '--seqlen', '128', '--sampling', 'first', '--out', sliced, '--json'));
  const r = cli(data, 'export', sliced, '--format', 'gguf', '--out', join(data, 'p.gguf'));
  assert.equal(r.code, 1);
  const lines = r.err.trim().split('\n');
  assert.match(lines[lines.length - 1], /--rotation uniform/);
  assert.doesNotMatch(r.err, /\n\s+at /);
});
