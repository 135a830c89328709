// The `recover` command end to end: a kill -9 mid-training resumes (same command) to byte-identical merged
// weights and adapters; the run is recorded under its slice with its loss curve; the merged folder is a
// slice every evaluation reads; bad input and a diverging learning rate end in one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { cli, cliChild, cliJson, models, storedRun } from '../transports/cli-helpers';
import { killWhen, seeded, temps } from '../transports/kill-helpers';
import { recoverModel, RecoverError } from '../../core/recover/train';
import { filesOf, inTempDir, sliceTiny, small } from './rft-fixtures';
import { CancelledError, quietContext } from '../../core/base/job-context';

const recoverArgs = (sliced: string, out: string) => ['recover', sliced, '--data', 'wikitext2', '--rank', '4', '--steps', '8', '--seqlen', '32', '--batch', '2', '--lr', '1e-3', '--warmup', '2', '--checkpoint-every', '2', '--out', out];

test('recover killed with -9 mid-training resumes with the same command to byte-identical merged weights; the run hangs under its slice with its loss curve', async () => {
  await inTempDir('ss-rft-cli-', async (data) => {
    const sliced = join(data, 'sliced');
    const slice = cliJson<{ runId: number }>(data, 'slice', join(models, 'tiny-llama'), '--ratio', '0.25', '--nsamples', '4', '--seqlen', '64', '--sampling', 'first', '--dtype', 'float32', '--allow-larger', '--out', sliced);
    const ref = cliJson<{ runId: number; result: { steps: number; resumedFrom: number } }>(data, ...recoverArgs(sliced, join(data, 'ref')));
    assert.equal(ref.result.resumedFrom, 0);

    const out = join(data, 'killed');
    const delay = Math.floor(seeded(16)() * 300);
    const killed = await cliChild(data, recoverArgs(sliced, out), (_t, child) => {
      const c = child as ChildProcess & { armed?: boolean };
      if (c.armed) return;
      c.armed = true;
      // After the first checkpoint and before the last step: somewhere in the middle of training.
      killWhen(child, () => existsSync(join(out, '.recover')) && readdirSync(join(out, '.recover')).some((f) => /^ckpt-\d+$/.test(f)), delay);
    });
    assert.equal(killed.code, null, `the run finished before it was killed: ${killed.err}`);
    assert.ok(!existsSync(join(out, 'slicing_config.json')), 'killed after the merge: nothing was resumed');

    const resumed = cliJson<{ runId: number; status: string; result: { resumedFrom: number } }>(data, ...recoverArgs(sliced, out));
    assert.equal(resumed.status, 'done');
    assert.ok(resumed.result.resumedFrom > 0, 'the second run started from scratch');
    const refFiles = filesOf(join(data, 'ref'));
    assert.deepEqual(filesOf(out), refFiles);
    assert.ok(refFiles.includes(join('adapter', 'adapter_model.safetensors')));
    for (const f of refFiles) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(data, 'ref', f))), `${f} differs from the uninterrupted run's`);
    assert.deepEqual(temps(out), []);
    assert.ok(!existsSync(join(out, '.recover')), 'checkpoints left after the merge');

    const run = storedRun(data, ref.runId);
    assert.equal(run.parentRunId, slice.runId);
    const curve = run.layers.filter((l) => l.phase === 'train-loss');
    assert.equal(curve.length, 8);
    assert.ok(curve.every((l) => Number.isFinite((l.dims as Record<string, number>).loss)));

    // The merged folder is a slice like any other: perplexity reads it.
    const ppl = cliJson<{ status: string; result: { ppl: number } }>(data, 'ppl', join(data, 'ref'), '--max-windows', '2');
    assert.equal(ppl.status, 'done');
    assert.ok(Number.isFinite(ppl.result.ppl));
  });
});

test("recover refuses a rank above a layer's width, too little data and a dense model, each in one line", async () => {
  await inTempDir('ss-rft-bad-', async (data) => {
    const sliced = sliceTiny(data);
    const one = (r: { code: number | null; err: string }) =>
      r.err
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('slice-studio:'));
    const rank = cli(data, 'recover', sliced, '--rank', '300', '--out', join(data, 'a'));
    assert.equal(rank.code, 1);
    assert.deepEqual(one(rank), ["slice-studio: rank 300 is larger than layer 0's q width (192 in × 256 out): use a rank ≤ 192"]);
    const short = join(data, 'short.txt');
    writeFileSync(short, 'A few words only.\n');
    const tooShort = cli(data, 'recover', sliced, '--data', short, '--out', join(data, 'b'));
    assert.equal(tooShort.code, 1);
    assert.match(one(tooShort)[0], /^slice-studio: short\.txt has \d+ tokens?, fewer than one window of 256: use more text or a smaller --seqlen$/);
    writeFileSync(short, '\n\n');
    assert.match(one(cli(data, 'recover', sliced, '--data', short, '--out', join(data, 'c')))[0], /^slice-studio: short\.txt holds no documents$/);
    assert.match(one(cli(data, 'recover', join(models, 'tiny-llama'), '--out', join(data, 'd')))[0], /is not a sliced model folder \(no slicing_config\.json\): recovery fine-tunes a slice$/);
    for (const r of [rank, tooShort]) assert.doesNotMatch(r.err, /\n\s+at /, 'a stack trace');
  });
});

test('a learning rate that diverges stops the run at the first non-finite loss, naming the step, and keeps the last good checkpoint', async () => {
  await inTempDir('ss-rft-nan-', async (data) => {
    const sliced = sliceTiny(data);
    const out = join(data, 'out');
    const o = { ...small(sliced, out), steps: 6, lr: 1e30, decay: 'constant' as const };
    await assert.rejects(recoverModel(quietContext(), o), (e: Error) => {
      assert.ok(e instanceof RecoverError);
      assert.match(e.message, /^training diverged: the loss became (NaN|Infinity) at step (\d+) \(learning rate 1\.00e\+30\); the last good checkpoint \(step \d+\) is kept in .*\.recover; lower --lr$/);
      return true;
    });
    const kept = readdirSync(join(out, '.recover'));
    assert.equal(kept.length, 1);
    assert.ok(!existsSync(join(out, 'slicing_config.json')), 'a diverged run must not write a merged model');
  });
});

test('cancelling a recovery stops it at the next step with CancelledError, keeping its checkpoint; the same settings then resume from it', async () => {
  await inTempDir('ss-rft-cancel-', async (data) => {
    const sliced = sliceTiny(data);
    const out = join(data, 'out');
    const o = small(sliced, out);
    const ac = new AbortController();
    const ctx = { ...quietContext(ac.signal), progress: (p: { phase: string; data?: Record<string, unknown> }) => p.phase === 'train' && p.data?.step === 2 && ac.abort() };
    await assert.rejects(recoverModel(ctx, o), (e: Error) => e instanceof CancelledError);
    assert.deepEqual(readdirSync(join(out, '.recover')), ['ckpt-2']);
    const r = await recoverModel(quietContext(), o);
    assert.equal(r.resumedFrom, 2);
    assert.equal(r.curve.length, 5);
  });
});
