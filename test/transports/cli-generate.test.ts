// `generate --compare <dense> <sliced>`: tiny-llama and its 25 % slice (made here by the CLI) continue the
// same prompt in turn, each text and speed printed and recorded in one run; sampled runs with one seed agree.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenerateJobResult } from '../../core/jobs/kinds/generate';
import { sharedModel } from '../shared';
import { cli, cliJson, metric, storedRun } from './cli-helpers';

const dense = sharedModel('tiny-llama');
let data: string;
let sliced: string;
before(() => {
  data = mkdtempSync(join(tmpdir(), 'ss-cli-generate-'));
  sliced = join(data, 'tiny-llama-25');
  cliJson(data, 'slice', dense, '--ratio', '0.25', '--cal', 'wikitext2', '--nsamples', '8', '--seqlen', '64', '--out', sliced);
});
after(() => rmSync(data, { recursive: true, force: true }));

interface JobJson {
  runId: number;
  status: string;
  result: GenerateJobResult;
}

test('generate --compare: dense and 25 % slice each continue the prompt greedily, printed under their names with tokens/s', () => {
  const r = cli(data, 'generate', '--compare', dense, sliced, '--prompt', 'The history of', '--max-new-tokens', '16');
  assert.equal(r.code, 0, r.err);
  const sections = r.out.split(/^── /m).filter(Boolean);
  assert.equal(sections.length, 2, r.out);
  assert.match(sections[0], /^A: tiny-llama \(no chat template in this model: raw prompt\)\nThe history of/);
  assert.match(sections[1], /^B: tiny-llama-25 \(no chat template in this model: raw prompt\)\nThe history of/);
  assert.match(r.err, /A tiny-llama: 16 tokens, [\d.]+ tokens\/s; B tiny-llama-25: 16 tokens, [\d.]+ tokens\/s — B\/A [\d.]+×, decoded in turn on cpu — run \d+/);
  // The dense column is exactly what generating on the dense model alone gives.
  const alone = cliJson<JobJson>(data, 'generate', dense, '--prompt', 'The history of', '--max-new-tokens', '16');
  assert.equal(sections[0].split('\n').slice(1).join('\n').replace(/\n$/, ''), alone.result.text);
});

test('generate --compare --json: both continuations and speeds in one result, both recorded as metrics of one run', () => {
  const j = cliJson<JobJson>(data, 'generate', '--compare', dense, sliced, '--prompt', 'The history of', '--max-new-tokens', '12');
  assert.equal(j.status, 'done');
  assert.equal(j.result.model, dense);
  assert.equal(j.result.compared?.model, sliced);
  assert.equal(j.result.newTokens, 12);
  assert.equal(j.result.compared?.newTokens, 12);
  // The slice is a different model: its greedy text differs from the dense one's somewhere.
  assert.notEqual(j.result.compared?.completion, j.result.completion);
  const run = storedRun(data, j.runId);
  assert.equal(metric(run, 'new_tokens'), 12);
  assert.equal(metric(run, 'compared_new_tokens'), 12);
  assert.ok(metric(run, 'decode_tokens_per_second')! > 0);
  assert.ok(metric(run, 'compared_decode_tokens_per_second')! > 0);
});

test('generate --compare with --temperature and --seed: the same seed gives the same two texts; greedy is recorded as no sampling', () => {
  const args = ['generate', '--compare', dense, sliced, '--prompt', 'The history of', '--max-new-tokens', '12', '--temperature', '0.8', '--top-p', '0.9', '--seed', '7'];
  const a = cliJson<JobJson>(data, ...args);
  const b = cliJson<JobJson>(data, ...args);
  assert.deepEqual(a.result.sampling, { temperature: 0.8, topP: 0.9, seed: 7 });
  assert.equal(b.result.text, a.result.text);
  assert.equal(b.result.compared?.text, a.result.compared?.text);
});

test('generate refuses --compare with one model, and a prompt over the context unless --truncate left', () => {
  const one = cli(data, 'generate', '--compare', dense, '--prompt', 'x');
  assert.equal(one.code, 1);
  assert.match(one.err, /^slice-studio: generate --compare needs two model folders: <dense> <sliced> \(see "slice-studio help"\)$/m);
  const long = 'the cat sat on the mat. '.repeat(120);
  const refused = cli(data, 'generate', dense, '--prompt', long, '--max-new-tokens', '4');
  assert.equal(refused.code, 1);
  assert.match(refused.err, /exceed the model's 512 positions: shorten the prompt, ask for fewer tokens, or truncate the prompt from the left$/m);
  assert.equal(
    refused.err
      .trim()
      .split('\n')
      .filter((l) => !l.includes('%')).length,
    1,
    refused.err,
  );
  const cut = cliJson<JobJson>(data, 'generate', dense, '--prompt', long, '--max-new-tokens', '4', '--truncate', 'left');
  assert.equal(cut.result.promptTokens, 508);
  assert.ok(cut.result.truncated > 0);
});
