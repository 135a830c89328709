// The checkpoint cadence (core/slicegpt/checkpoint-cadence.ts): which layer boundaries a slice checkpoints —
// small ones and the last always, big ones once `everySeconds` of work have passed — and that a slice which
// skipped boundaries, stopped after them, resumes from the last one it took and writes the same bytes as an
// uninterrupted run (per-layer with both engines, and the uniform rotation in either pass). Sizes and clocks are
// injected: the tiny models' boundaries are a few hundred KB, so `smallBytes: 0` makes them count as big.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckpointCadence, checkpointDue, SMALL_CHECKPOINT_BYTES } from '../../core/slicegpt/checkpoint-cadence';
import { Checkpoint } from '../../core/slicegpt/checkpoint';
import { boundaryBytes, CheckpointQueue } from '../../core/slicegpt/checkpoint-queue';
import { ActivationStore, RamBudget } from '../../core/slicegpt/activations';
import { sliceModel } from '../../core/slicegpt/slice-model';
import { loadCalibration } from '../../core/slicegpt/calibration-input';
import { CancelledError, type JobContext, type ProgressUpdate } from '../../core/base/job-context';
import { validateSliceOptions } from '../../core/slicegpt/out-folder';
import { JOBS } from '../../core/jobs/kinds/index';
import { folderFiles, modelPath, sliceOptions } from './helpers';

const GB = 2 ** 30;
const policy = { everySeconds: 120, smallBytes: SMALL_CHECKPOINT_BYTES };

test('checkpointDue: small boundaries, the last layer and everySeconds 0 always; big ones only after everySeconds of work', () => {
  const big = 3.2e9;
  // A 7B layer's inputs at 128 × 2048 (3.2 GB) after 20 s: skipped; after 120 s: taken.
  assert.equal(checkpointDue({ nextLayer: 5, layers: 32, bytes: big, secondsSinceTaken: 20 }, policy), false);
  assert.equal(checkpointDue({ nextLayer: 5, layers: 32, bytes: big, secondsSinceTaken: 119.9 }, policy), false);
  assert.equal(checkpointDue({ nextLayer: 5, layers: 32, bytes: big, secondsSinceTaken: 120 }, policy), true);
  // 256 MiB is small (taken at once), one byte more is not.
  assert.equal(checkpointDue({ nextLayer: 5, layers: 32, bytes: 256 * 2 ** 20, secondsSinceTaken: 0 }, policy), true);
  assert.equal(checkpointDue({ nextLayer: 5, layers: 32, bytes: 256 * 2 ** 20 + 1, secondsSinceTaken: 0 }, policy), false);
  // The last layer's boundary (only the head left) is always taken.
  assert.equal(checkpointDue({ nextLayer: 32, layers: 32, bytes: big, secondsSinceTaken: 0 }, policy), true);
  // 0: every layer.
  assert.equal(checkpointDue({ nextLayer: 5, layers: 32, bytes: big, secondsSinceTaken: 0 }, { everySeconds: 0, smallBytes: 0 }), true);
});

test('CheckpointCadence with a clock: a 7B job of 20 s layers takes a 3.2 GB boundary every 6 layers and the last; its clock restarts at each taken one', () => {
  let t = 1000;
  const cadence = new CheckpointCadence(32, { now: () => t });
  const taken: number[] = [];
  for (let next = 0; next <= 32; next++) {
    t += 20;
    if (cadence.due(next, 3.2e9)) taken.push(next);
  }
  assert.deepEqual(taken, [5, 11, 17, 23, 29, 32]);
  // The same job with tiny boundaries, or everySeconds 0, takes all 33.
  const small = new CheckpointCadence(32, { now: () => t });
  assert.equal(Array.from({ length: 33 }, (_, i) => small.due(i, 1e6)).filter(Boolean).length, 33);
  const every = new CheckpointCadence(32, { everySeconds: 0, now: () => t });
  assert.equal(Array.from({ length: 33 }, (_, i) => every.due(i, 1e10)).filter(Boolean).length, 33);
  assert.throws(() => new CheckpointCadence(32, { everySeconds: -1 }), /≥ 0/);
});

test("a boundary's bytes are counted without reading it: host, spilled and dropped chunks; a skipped save writes nothing", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckc-'));
  try {
    // 48 bytes of budget: the second chunk (64 bytes) spills to disk and still counts.
    const inputs = new ActivationStore({ name: 'in', width: 4, dir, budget: new RamBudget(48) });
    inputs.set(0, new Float32Array(12));
    inputs.set(1, new Float32Array(16));
    assert.equal(inputs.spilledChunks, 1);
    assert.equal(inputs.floats, 28);
    const b = { nextLayer: 1, inputs, q: new Float64Array(16), stats: [], timings: [] };
    assert.equal(boundaryBytes(b), 28 * 4 + 16 * 8);

    let t = 0;
    const cp = new Checkpoint(dir, 'key');
    const cadence = new CheckpointCadence(4, { everySeconds: 100, smallBytes: 0, now: () => t });
    const q = new CheckpointQueue(cp, { cadence });
    await q.save(b);
    await q.flush();
    assert.equal(cp.exists, false, 'a skipped boundary wrote a checkpoint');
    t = 100;
    await q.save(b);
    await q.flush();
    assert.equal(cp.load(new RamBudget(GB), join(dir, 'scratch'))!.nextLayer, 1);
    assert.deepEqual([cadence.taken, cadence.skipped], [1, 1]);
    inputs.drop(1);
    assert.equal(inputs.floats, 12);
    inputs.clear();
    assert.equal(inputs.floats, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('--checkpoint-every: a negative or non-number value is a one-line error (slice options and the job params)', () => {
  const o = sliceOptions(modelPath('tiny-llama'), '/tmp/x-out');
  assert.throws(() => validateSliceOptions({ ...o, checkpointEvery: -1 }), /^SliceOptionsError: --checkpoint-every must be a number of seconds ≥ 0, got -1$/);
  assert.throws(() => validateSliceOptions({ ...o, checkpointEvery: NaN }), /--checkpoint-every must be a number of seconds ≥ 0, got NaN/);
  validateSliceOptions({ ...o, checkpointEvery: 0 });
  const check = (v: unknown) => JOBS.slice.params.check({ model: modelPath('tiny-llama'), ratio: 0.25, out: '/tmp/x-out', checkpointEvery: v }, 'params');
  assert.throws(() => check(-5), /^.*params\.checkpointEvery must be a number from 0 to \d+ \(got -5\)$/);
  assert.throws(() => check('soon'), /checkpointEvery/);
  assert.equal((check(30) as { checkpointEvery?: number }).checkpointEvery, 30);
});

function assertSameFolder(ref: string, out: string): void {
  const a = folderFiles(ref);
  const b = folderFiles(out);
  assert.deepEqual([...b.keys()], [...a.keys()]);
  for (const [f, bytes] of a) assert.ok(bytes.equals(b.get(f)!), `${f} differs`);
}

/**
 * A job context whose clock is its layers: every progress event that ends or starts a layer (`ticks`) adds 100 s,
 * and the job is cancelled at the event `stopAt` picks.
 */
function layerClock(ticks: (p: ProgressUpdate) => boolean, stopAt: (p: ProgressUpdate) => boolean = () => false) {
  const abort = new AbortController();
  let t = 0;
  const logs: string[] = [];
  const ctx: JobContext = {
    signal: abort.signal,
    progress: (p) => {
      if (ticks(p)) t += 100;
      if (stopAt(p)) abort.abort();
    },
    log: (m) => logs.push(m),
  };
  return { ctx, now: () => t, logs };
}

const stateOf = (out: string) => JSON.parse(readFileSync(join(out, '.checkpoint', 'state.json'), 'utf8')) as { nextLayer: number; extra?: { stage: string }; blobs?: { name: string }[] };

// tiny-stories: 5 layers. With every boundary "big" and 250 s between checkpoints at 100 s a layer, the job takes
// the boundary before layer 3 (300 s), skips the one before layer 4 and is stopped in layer 4: it must resume at 3.
for (const engine of ['host', 'device'] as const)
  test(`per-layer (${engine} engine): boundaries skipped by the cadence, the job stopped after them, resumes from the last one taken and writes the same bytes`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckc-slice-'));
    try {
      const folder = modelPath('tiny-stories');
      const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 4, seqlen: 128, sampling: 'first', seed: 0 });
      const base = { calibration, batchSize: 2, ...(engine === 'device' ? { engine: 'device' as const } : {}) };
      const ref = join(dir, 'ref');
      const clean = await sliceModel(layerClock(() => false).ctx, sliceOptions(folder, ref, base));
      // The tiny model's boundaries are small: every one is checkpointed by default.
      assert.deepEqual(clean.checkpoints, { taken: 6, skipped: 0 });

      const out = join(dir, 'out');
      const endOfLayer = (p: ProgressUpdate) => p.phase === 'rotate' && p.layer !== undefined && p.data?.timing !== undefined;
      const first = layerClock(endOfLayer, (p) => p.phase === 'signals' && p.layer === 4);
      await assert.rejects(sliceModel(first.ctx, sliceOptions(folder, out, { ...base, checkpointEvery: 250, checkpointCadence: { smallBytes: 0, now: first.now } })), CancelledError);
      assert.equal(stateOf(out).nextLayer, 3, 'the checkpoint left is the one taken before layer 3');

      const again = layerClock(endOfLayer);
      const resumed = await sliceModel(again.ctx, sliceOptions(folder, out, { ...base, resume: true, checkpointEvery: 250, checkpointCadence: { smallBytes: 0, now: again.now } }));
      assert.equal(resumed.resumedAt, 3);
      // Layers 3 and 4 redone: the boundary before 4 skipped (100 s), the last one (before the head) taken.
      assert.deepEqual(resumed.checkpoints, { taken: 1, skipped: 1 });
      assert.ok(
        again.logs.some((l) => /^checkpointed 1 of 2 layer boundaries \(every 250 s of work/.test(l)),
        again.logs.join('\n'),
      );
      assert.ok(!existsSync(join(out, '.checkpoint')));
      assertSameFolder(ref, out);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

test('uniform rotation: the cadence skips boundaries in both passes; stopped in either pass, the job resumes from the last one taken (its skipped layers’ moments saved with it) and writes the same bytes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ckc-uniform-'));
  try {
    const folder = modelPath('tiny-stories');
    const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples: 4, seqlen: 128, sampling: 'first', seed: 0 });
    const base = { calibration, batchSize: 2, rotation: 'uniform' as const, checkpointEvery: 250 };
    const ref = join(dir, 'ref');
    const clean = await sliceModel(layerClock(() => false).ctx, sliceOptions(folder, ref, { calibration, batchSize: 2, rotation: 'uniform' }));
    assert.deepEqual(clean.checkpoints, { taken: 12, skipped: 0 });

    // 100 s per layer of either pass: pass 1 ticks as each layer starts, pass 2 as each is written.
    const ticks = (p: ProgressUpdate) => p.layer !== undefined && (p.phase === 'signals' || p.phase === 'rotate');

    // Stopped in pass 1's layer 4: the boundary before layer 3 is the last taken, and it carries the moments
    // of the embeddings and layers 0–2 (7 signals), none of which an earlier checkpoint wrote.
    const out1 = join(dir, 'signals');
    const a = layerClock(ticks, (p) => p.phase === 'signals' && p.layer === 4);
    await assert.rejects(sliceModel(a.ctx, sliceOptions(folder, out1, { ...base, checkpointCadence: { smallBytes: 0, now: a.now } })), CancelledError);
    const s1 = stateOf(out1);
    assert.deepEqual([s1.extra?.stage, s1.nextLayer, s1.blobs?.length], ['signals', 3, 7]);
    const b = layerClock(ticks);
    const r1 = await sliceModel(b.ctx, sliceOptions(folder, out1, { ...base, resume: true, checkpointCadence: { smallBytes: 0, now: b.now } }));
    assert.equal(r1.resumedAt, 3);
    assertSameFolder(ref, out1);

    // Stopped in pass 2 after writing layer 3: pass 1's last boundary (always taken) at 500 s, then the rotation
    // pass's before layer 3 (800 s); the one before layer 4 (900 s) skipped.
    const out2 = join(dir, 'rotate');
    const c = layerClock(ticks, (p) => p.phase === 'rotate' && p.layer === 3);
    await assert.rejects(sliceModel(c.ctx, sliceOptions(folder, out2, { ...base, checkpointCadence: { smallBytes: 0, now: c.now } })), CancelledError);
    const s2 = stateOf(out2);
    assert.deepEqual([s2.extra?.stage, s2.nextLayer], ['rotate', 3]);
    const d = layerClock(ticks);
    const r2 = await sliceModel(d.ctx, sliceOptions(folder, out2, { ...base, resume: true, checkpointCadence: { smallBytes: 0, now: d.now } }));
    assert.equal(r2.resumedAt, 3);
    assert.ok(!existsSync(join(out2, '.checkpoint')));
    assertSameFolder(ref, out2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
