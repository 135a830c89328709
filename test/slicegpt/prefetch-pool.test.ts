// The prefetch's worker path (slicegpt/prefetch-pool.ts) against the main-thread path: a layer read through the pool's
// widen hook, fused and put in its exact float16 forms (half-forms.ts halfJobs, what the device engine's prepare
// runs) holds the very bytes the main thread makes — widened values, fused readers, float16 bits, scales and folded
// columns — on a real float16 model (tiny-llama) and a synthesized bfloat16 one; and the switch off
// (SLICE_STUDIO_PREFETCH_WORKERS=0) is the main-thread path.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openModel } from '../../core/model/source';
import type { ModelSource, WidenHook } from '../../core/model/model-source';
import type { LayerWeights } from '../../core/model/weights';
import { fuseLayer, foldedFrom } from '../../core/slicegpt/fuse';
import { halfJobs, linearsOf } from '../../core/slicegpt/half-forms';
import { PrefetchPool, prefetchHook, prefetchWorkers, stopPrefetchPool } from '../../core/slicegpt/prefetch-pool';
import { synthModel } from '../../core/synth/synth';
import { quietContext } from '../../core/base/job-context';
import { sharedModel } from '../shared';

const pool = new PrefetchPool(2);
const work = mkdtempSync(join(tmpdir(), 'prefetch-pool-'));
after(async () => {
  await pool.close();
  await stopPrefetchPool();
  rmSync(work, { recursive: true, force: true });
});

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

/** Every byte the prefetch makes for layer i: the source's arrays, the fused arrays, the float16 forms. */
async function prefetched(source: ModelSource, i: number, widen: WidenHook | undefined) {
  const lw = await source.layer(i, { widen });
  const fused = fuseLayer(source.config, lw);
  const forms = halfJobs(lw, fused).map((j) => j.form());
  const folded = linearsOf(fused).map((l) => foldedFrom(l.lin.weight.data) !== undefined);
  return { lw, fused, forms, folded };
}

function assertSameBytes(a: Awaited<ReturnType<typeof prefetched>>, b: Awaited<ReturnType<typeof prefetched>>, what: string) {
  const arrays = (w: LayerWeights) => JSON.stringify(w, (_k, v) => (ArrayBuffer.isView(v) ? bytes(v).toString('base64') : v));
  assert.equal(arrays(a.lw), arrays(b.lw), `${what}: source arrays`);
  assert.equal(arrays(a.fused), arrays(b.fused), `${what}: fused arrays`);
  assert.deepEqual(a.folded, b.folded, `${what}: readers known folded`);
  assert.equal(a.forms.length, b.forms.length);
  a.forms.forEach((h, k) => {
    const g = b.forms[k];
    assert.equal(h === null, g === null, `${what}: linear ${k} has a float16 form on one path only`);
    if (!h || !g) return;
    assert.ok(bytes(h.bits).equals(bytes(g.bits)), `${what}: linear ${k} float16 bits`);
    assert.equal(h.scale, g.scale, `${what}: linear ${k} scale`);
    assert.equal(h.columns === undefined, g.columns === undefined);
    if (h.columns && g.columns) assert.ok(bytes(h.columns).equals(bytes(g.columns)), `${what}: linear ${k} columns`);
  });
}

/** The pool's hook (every linear to a worker), noting the bits it was handed. */
function counted(): { hook: WidenHook; handed: Uint16Array[] } {
  const inner = pool.hook(0);
  const handed: Uint16Array[] = [];
  return {
    handed,
    hook: (bits, dtype, reads) => {
      handed.push(bits);
      return inner(bits, dtype, reads);
    },
  };
}

async function assertWorkersMatch(source: ModelSource, what: string) {
  const before = process.env.SLICE_STUDIO_PREFETCH_WORKERS;
  for (let i = 0; i < source.config.numLayers; i++) {
    process.env.SLICE_STUDIO_PREFETCH_WORKERS = '0';
    const off = prefetchHook();
    if (before === undefined) delete process.env.SLICE_STUDIO_PREFETCH_WORKERS;
    else process.env.SLICE_STUDIO_PREFETCH_WORKERS = before;
    assert.equal(off, undefined, 'SLICE_STUDIO_PREFETCH_WORKERS=0 gives no hook (the main-thread path)');
    const main = await prefetched(source, i, off);
    const c = counted();
    const workers = await prefetched(source, i, c.hook);
    assert.equal(c.handed.length, linearsOf(workers.lw).length, 'every linear went to the hook');
    // Each linear's bits were moved to a worker (transferred: the main thread's view is detached).
    for (const b of c.handed) assert.equal(b.buffer.byteLength, 0);
    assert.ok(
      workers.forms.some((h) => h !== null),
      `${what}: some linear has a float16 form (the path under test)`,
    );
    assertSameBytes(workers, main, `${what} layer ${i}`);
  }
}

test('a float16 model (tiny-llama) prefetched on worker threads has the main thread bytes: widened, fused, float16 forms', async () => {
  await assertWorkersMatch(await openModel(sharedModel('tiny-llama')), 'tiny-llama');
});

test('a bfloat16 model prefetched on worker threads has the main thread bytes (float16 forms from the bfloat16 bits)', async () => {
  const out = join(work, 'bf16');
  await synthModel(quietContext(), { config: sharedModel('tiny-llama'), out, dtype: 'bf16', layers: 2, seed: 1, tokenizer: sharedModel('tiny-llama'), overwrite: true });
  await assertWorkersMatch(await openModel(out), 'synth bf16');
});

test('the process pool follows SLICE_STUDIO_PREFETCH_WORKERS (0: off), and its hook gives the main thread bytes', async () => {
  const before = process.env.SLICE_STUDIO_PREFETCH_WORKERS;
  try {
    process.env.SLICE_STUDIO_PREFETCH_WORKERS = '0';
    assert.equal(prefetchWorkers(), 0);
    assert.equal(prefetchHook(), undefined);
    process.env.SLICE_STUDIO_PREFETCH_WORKERS = '1';
    assert.equal(prefetchWorkers(), 1);
    const hook = prefetchHook();
    assert.ok(hook);
    const source = await openModel(sharedModel('tiny-llama'));
    // (With the default size floor, tiny-llama's q, o, gate, up and down go to the worker, k and v are widened here.)
    assertSameBytes(await prefetched(source, 0, hook), await prefetched(source, 0, undefined), 'default hook');
  } finally {
    if (before === undefined) delete process.env.SLICE_STUDIO_PREFETCH_WORKERS;
    else process.env.SLICE_STUDIO_PREFETCH_WORKERS = before;
  }
});

test('a closed pool refuses a linear at once instead of waiting on a worker that is gone', async () => {
  const gone = new PrefetchPool(1);
  await gone.close();
  await assert.rejects(gone.hook(0)(new Uint16Array(4), 'BF16'), /prefetch pool closed/);
});
