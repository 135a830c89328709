// The CLI's job commands read their flags, usage and params from the JOBS table (core/transports/cli/job-flags.ts):
// every param a job accepts is a flag of its command unless the table hides it, so the CLI cannot fall behind a
// job; values are parsed by what the param's validator accepts, and refused in one line in the flag's words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { JOBS, type JobKind } from '../../core/jobs/kinds/index';
import { COMMANDS } from '../../core/transports/cli/commands/index';
import { jobCommand } from '../../core/transports/cli/commands/shared/job-command';
import { jobFlags, jobFlagSpec, jobParamsFromArgs, jobUsage, positionalKey } from '../../core/transports/cli/job-flags';
import { parseArgs, UsageError } from '../../core/transports/cli/args';

const parse = (kind: JobKind, ...argv: string[]) => jobParamsFromArgs(kind, parseArgs(argv, jobFlagSpec(kind, kind === 'generate' ? { booleans: ['compare'] } : {})));

test('every job kind in the JOBS table has a command taking a flag for each param it does not hide', () => {
  for (const kind of Object.keys(JOBS) as JobKind[]) {
    const cmd = COMMANDS.find((c) => c.name === kind);
    assert.ok(cmd, `a command for ${kind}`);
    const offered = new Set([...(cmd.flags?.values ?? []), ...(cmd.flags?.booleans ?? [])]);
    const hidden = Object.entries(JOBS[kind].cli?.flags ?? {}).filter(([, f]) => f.hidden);
    const params = Object.keys(JOBS[kind].params.fields ?? {});
    assert.ok(params.length > 0, `${kind} declares its fields`);
    for (const f of jobFlags(kind)) assert.ok(offered.has(f.flag), `${kind}: --${f.flag}`);
    assert.equal(jobFlags(kind).length + hidden.length + (positionalKey(kind) ? 1 : 0), params.length, `${kind}: every param is a flag, the positional or hidden`);
  }
});

test('flags parse by what their param accepts: numbers, switches, choices, comma lists, negated switches, paths, other names', () => {
  assert.deepEqual(parse('slice', 'm', '--ratio', '0.25', '--slice-head', '--ep', 'cpu', '--nsamples', '8'), { model: resolve('m'), ratio: 0.25, sliceHead: true, ep: 'cpu', nsamples: 8 });
  assert.deepEqual(parse('recover', 's', '--out', 'o', '--roles', 'q, v'), { model: resolve('s'), out: 'o', roles: ['q', 'v'] });
  assert.deepEqual(parse('generate', '--prompt', 'Once', '--raw'), { prompt: 'Once', chat: false });
  assert.deepEqual(parse('export', 'm', '--format', 'gguf', '--out', 'x.gguf', '--force'), { model: resolve('m'), format: 'gguf', out: resolve('x.gguf'), overwrite: true });
  assert.deepEqual(parse('synth', '--config', 'c.json', '--out', 'o', '--shard-gb', '0.5'), { config: 'c.json', out: 'o', shardGb: 0.5 });
});

test('bad flag values and missing required flags are one-line usage errors in the flag words', () => {
  for (const [kind, argv, message] of [
    ['slice', ['m', '--ratio', '2'], '--ratio must be a number from 0 to 0.99'],
    ['slice', ['m', '--ratio', '0.2', '--nsamples', '1.5'], '--nsamples must be an integer from 1 to 1048576'],
    ['slice', ['m', '--ratio', '0.2', '--sampling', 'every'], '--sampling must be one of first, random'],
    ['slice', ['m'], 'slice needs --ratio R (the fraction of the hidden width to delete, e.g. 0.25)'],
    ['ppl', [], 'ppl needs a model folder'],
    ['ppl', ['a', 'b'], 'ppl takes one model, got also "b"'],
    ['synth', ['--out', 'o'], 'synth needs --config <config.json> (a published Hugging Face config)'],
  ] as const) {
    assert.throws(
      () => parse(kind, ...argv),
      (e: Error) => e instanceof UsageError && e.message === message,
      `${kind} ${argv.join(' ')}`,
    );
  }
  assert.throws(() => parse('ppl', 'm', '--baseline', 'x'), /unknown option --baseline/, 'a hidden param is no flag');
});

test("a job command with nothing of its own still works from the table: usage from the params, the kind's summary", () => {
  const cmd = jobCommand('ppl');
  assert.equal(cmd.summary, JOBS.ppl.summary);
  assert.equal(cmd.usage, jobUsage('ppl'));
  assert.match(cmd.usage, /^ppl <model> \[--dataset wikitext2\|<file>\] \[--seqlen N\] \[--max-windows N\] \[--all-windows\] \[--batch N\] \[--ep cpu\|webgpu[^\]]*\] \[--json\]$/);
  assert.deepEqual(cmd.flags, jobFlagSpec('ppl'));
});
