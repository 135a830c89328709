// A checkpoint records the training step (engine) that made it, and a resume continues on that step: with
// `--engine auto` a run the layer-streamed step began resumes layer-streamed even where auto would pick the
// one graph (tiny-llama), and ends byte for byte where the uninterrupted run does; an explicitly different
// engine is honoured with a note saying the result agrees only to ~1e-6.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recoverModel, resumeEngine } from '../../core/recover/train';
import { planRecover } from '../../core/recover/preflight';
import { SlicedModelSource } from '../../core/slicegpt/sliced-source';
import { CancelledError, quietContext, type JobContext } from '../../core/base/job-context';
import { filesOf, inTempDir, sliceTiny, small } from './rft-fixtures';

test('resumeEngine: auto continues on the checkpoint’s engine (streamed on a GPU EP for a one-graph checkpoint, with a note); a forced other engine runs with a note; no checkpoint: as asked', () => {
  assert.deepEqual(resumeEngine(null, 'auto', 'cpu'), { engine: 'auto' });
  assert.equal(resumeEngine('streamed', 'auto', 'cpu').engine, 'streamed');
  assert.equal(resumeEngine('whole', 'auto', 'cpu').engine, 'whole');
  assert.deepEqual(resumeEngine('streamed', 'streamed', 'cpu'), { engine: 'streamed' });
  const gpu = resumeEngine('whole', 'auto', 'webgpu');
  assert.equal(gpu.engine, 'streamed');
  assert.match(gpu.note ?? '', /one-graph step runs on the CPU only.*about 1e-6, not bit for bit$/);
  const forced = resumeEngine('streamed', 'whole', 'cpu');
  assert.equal(forced.engine, 'whole');
  assert.match(forced.note ?? '', /^resuming a run the layer-streamed step began on the one-graph step \(--engine whole, as asked\)/);
  assert.ok(!forced.note!.includes('\n'));
});

test('a run the streamed step began, cancelled after step 2, resumes on the streamed step under --engine auto (which picks the one graph for tiny-llama) to byte-identical files; --engine whole resumes with a note', async () => {
  await inTempDir('ss-rft-engine-', async (data) => {
    const sliced = sliceTiny(data);
    const src = await SlicedModelSource.create(sliced);
    const o = { ...small(sliced, join(data, 'ref')), engine: 'streamed' as const };
    // Where nothing was begun, auto trains tiny-llama as one graph.
    assert.equal(planRecover(src, { batch: o.batch, seq: o.seqlen, rank: o.rank, storedBytes: 4, ep: 'cpu', engine: 'auto' }).engine, 'whole');
    const uninterrupted = await recoverModel(quietContext(), o);
    assert.equal(uninterrupted.engine, 'streamed');

    const cancelAt2 = (out: string) => {
      const ac = new AbortController();
      const ctx: JobContext = { ...quietContext(ac.signal), progress: (p) => void (p.phase === 'train' && p.data?.['step'] === 2 && ac.abort()) };
      return assert.rejects(recoverModel(ctx, { ...o, out }), (e: Error) => e instanceof CancelledError);
    };
    const logged = () => {
      const lines: string[] = [];
      return { lines, ctx: { ...quietContext(), log: (l: string) => void lines.push(l) } };
    };

    const out = join(data, 'resumed');
    await cancelAt2(out);
    const auto = logged();
    const r = await recoverModel(auto.ctx, { ...o, out, engine: 'auto' });
    assert.equal(r.resumedFrom, 2);
    assert.equal(r.engine, 'streamed');
    assert.ok(
      auto.lines.some((l) => /^resuming on the layer-streamed step, which trained the checkpoint$/.test(l)),
      auto.lines.join(' | '),
    );
    for (const f of filesOf(o.out)) assert.ok(readFileSync(join(out, f)).equals(readFileSync(join(o.out, f))), `${f} differs from the uninterrupted run's`);

    const forcedOut = join(data, 'forced');
    await cancelAt2(forcedOut);
    const forced = logged();
    const w = await recoverModel(forced.ctx, { ...o, out: forcedOut, engine: 'whole' });
    assert.equal(w.resumedFrom, 2);
    assert.equal(w.engine, 'whole');
    assert.ok(
      forced.lines.some((l) => l.startsWith('resuming a run the layer-streamed step began on the one-graph step (--engine whole, as asked)')),
      forced.lines.join(' | '),
    );
  });
});
