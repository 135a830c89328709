// A slice that meets a kill at the worst moment or a full disk: resume must never trip over what was left.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sliceModel } from '../../core/slicegpt/slice-model';
import type { SliceOptions } from '../../core/slicegpt/slice-options';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { CancelledError, type JobContext } from '../../core/base/job-context';
import type { Calibration } from '../../core/slicegpt/rotate-and-slice';
import { modelPath, sliceOptions } from './helpers';
import { mountTmpfs, tmpfsSkip } from '../files/tmpfs';
import { resumability } from '../../core/api/resumability';
import type { RunRow } from '../../core/store/types';

/** The run a job that failed with `error` leaves in the store, as resumability sees it. */
const failedRun = (out: string, error: string): RunRow => ({
  id: 1,
  kind: 'slice',
  modelId: null,
  parentRunId: null,
  name: 'slice',
  status: 'failed',
  fingerprint: null,
  settings: { model, out },
  result: null,
  error,
  createdAt: '',
  startedAt: null,
  finishedAt: null,
  ep: 'cpu',
  peakRss: null,
  ownerPid: null,
  ownerStart: null,
});

const model = modelPath('tiny-llama');
let dir: string;
let calibration: Calibration;
let ref: string;

const opts = (out: string, extra: Partial<SliceOptions> = {}): SliceOptions => sliceOptions(model, out, { calibration, batchSize: 2, ...extra });

/** A context that cancels once the job reaches `layer` (two layers are checkpointed by then), and keeps logs. */
function ctxFor(cancelAtLayer?: number): JobContext & { logs: string[] } {
  const ac = new AbortController();
  const logs: string[] = [];
  return {
    signal: ac.signal,
    logs,
    progress: (p) => {
      if (cancelAtLayer !== undefined && (p.layer ?? -1) >= cancelAtLayer) ac.abort();
    },
    log: (m) => logs.push(m),
  };
}

async function sliceUntilLayer(out: string, layer: number, extra: Partial<SliceOptions> = {}): Promise<void> {
  await assert.rejects(sliceModel(ctxFor(layer), opts(out, extra)), CancelledError);
  assert.ok(existsSync(join(out, '.checkpoint', 'state.json')), 'no checkpoint after cancel');
}

const shards = (folder: string) =>
  new Map(
    readdirSync(folder)
      .filter((f) => f.endsWith('.safetensors'))
      .sort()
      .map((f) => [f, readFileSync(join(folder, f))]),
  );

function assertSameModel(out: string): void {
  const a = shards(ref);
  const b = shards(out);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs from the uninterrupted run`);
}

/** Every temporary a writer may leave, anywhere under `folder`. */
function temps(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp(-|$)/.test(f));
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ss-ckpt-faults-'));
  calibration = await loadCalibration(model, { cal: 'wikitext2', nsamples: 4, seqlen: 128, sampling: 'first', seed: 0 });
  ref = join(dir, 'ref');
  await sliceModel(ctxFor(), opts(ref));
});

after(() => rmSync(dir, { recursive: true, force: true }));

test('a checkpoint whose activations file is gone (killed while the finished run removed it) resumes from a clean start, not ENOENT', async () => {
  const out = join(dir, 'gone');
  await sliceUntilLayer(out, 2);
  const state = JSON.parse(readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8')) as { inputsFile: string };
  unlinkSync(join(out, '.checkpoint', state.inputsFile));
  const ctx = ctxFor();
  const r = await sliceModel(ctx, opts(out, { resume: true }));
  assert.equal(r.resumedAt, null, 'started from the first layer');
  assert.ok(
    ctx.logs.some((l) => /^the checkpoint is incomplete \(its activations \(inputs-\d+\.f32\) are missing\): starting from the first layer$/.test(l)),
    ctx.logs.join('\n'),
  );
  assertSameModel(out);
});

test('a truncated checkpoint rotation is detected the same way', async () => {
  const out = join(dir, 'short');
  await sliceUntilLayer(out, 2);
  const state = JSON.parse(readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8')) as { qFile: string };
  const q = join(out, '.checkpoint', state.qFile);
  const { truncateSync } = await import('node:fs');
  truncateSync(q, 12);
  const ctx = ctxFor();
  const r = await sliceModel(ctx, opts(out, { resume: true }));
  assert.equal(r.resumedAt, null);
  assert.ok(
    ctx.logs.some((l) => l.includes('is truncated')),
    ctx.logs.join('\n'),
  );
  assertSameModel(out);
});

test('a disk that fills during a slice: one line with the path and the space needed, no partial temp, the checkpoint kept, resume works once space is freed', { skip: tmpfsSkip }, async () => {
  const fs = mountTmpfs(96 << 20);
  try {
    const out = join(fs.dir, 'out');
    await sliceUntilLayer(out, 2);
    const stateBefore = readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8');
    fs.fill(64 << 10);
    const err = await sliceModel(ctxFor(), opts(out, { resume: true })).then(
      () => assert.fail('the slice did not notice the full disk'),
      (e: Error) => e,
    );
    assert.equal(err.name, 'DiskFullError', err.stack);
    assert.match(err.message, new RegExp(`^disk full while writing .+ to ${out.replace(/[/.]/g, '\\$&')}/\\S+: it needs [\\d.]+ (KiB|MiB), [\\d.]+ KiB are free; .*(resume|run it again)`));
    assert.ok(!err.message.includes('\n'));
    assert.deepEqual(temps(out), [], 'partial temporaries left behind');
    assert.equal(readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8'), stateBefore, 'the last good checkpoint changed');
    // The app offers Resume for it: a full disk is not the run's fault.
    assert.equal(resumability(failedRun(out, err.message), false).resumable, true);
    fs.free();
    const r = await sliceModel(ctxFor(), opts(out, { resume: true }));
    assert.ok(r.resumedAt !== null && r.resumedAt >= 2, `resumed at ${r.resumedAt}`);
    assertSameModel(out);
    assert.deepEqual(temps(out), []);
  } finally {
    fs.unmount();
  }
});

test('a disk that fills while activations spill: one line naming the spill file and its size, checkpoint intact, resume works after freeing space', { skip: tmpfsSkip }, async () => {
  const fs = mountTmpfs(16 << 20);
  try {
    const out = join(dir, 'spill');
    const scratch = join(fs.dir, 'spill');
    // A RAM budget of one byte: every activation chunk goes to disk.
    const spill = { scratch, ramBudgetBytes: 1 };
    await sliceUntilLayer(out, 2, spill);
    const stateBefore = readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8');
    fs.fill(64 << 10);
    const err = await sliceModel(ctxFor(), opts(out, { ...spill, resume: true })).then(
      () => assert.fail('the slice did not notice the full disk'),
      (e: Error) => e,
    );
    assert.equal(err.name, 'DiskFullError', err.stack);
    // The resumed inputs: 2 windows × 128 tokens × 192 (the sliced width) × 4 bytes per chunk.
    assert.match(
      err.message,
      new RegExp(
        `^disk full while writing calibration activations \\(over the RAM budget, they spill to disk\\) to ${scratch.replace(/[/.]/g, '\\$&')}/[\\w-]+\\.f32: it needs 192 KiB, [\\d.]+ KiB are free; the last complete checkpoint is kept: free some space and resume \\(--resume\\)$`,
      ),
    );
    assert.ok(!existsSync(scratch) || readdirSync(scratch).length === 0, 'spilled chunks left on the full disk');
    assert.equal(readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8'), stateBefore);
    fs.free();
    const r = await sliceModel(ctxFor(), opts(out, { ...spill, resume: true }));
    assert.ok(r.resumedAt !== null && r.resumedAt >= 2);
    assert.ok(r.spilledChunks > 0);
    assertSameModel(out);
  } finally {
    fs.unmount();
  }
});
