// `npx tsx bench/prefetch-host.ts [--layers 2] [--model DIR] [--reps 1] [--keep] [--workers N] [--steps 0]`
// (or `npm run bench -- prefetch-host …`)
// — the host work of the slice's prefetch of one layer (rotate-and-slice.ts `load`), on the real code without a GPU:
// source.layer (read + widen bf16 → float32), fuse.ts fuseLayer, and the device engine's prepare (the exact float16
// form of every linear: slicegpt/half-forms.ts halfJobs, what engine.prepare runs). On the H100 host these ~10 s of
// one thread per 7B layer block the event loop the passes' ORT calls need (issue #11). Synthesizes a bf16
// LLaMA-2-7B-shaped folder of --layers layers in a temp dir (or reads --model). Seconds per layer (best of --reps),
// per step and sub-step; JSON on stdout. Then the whole load as rotate-and-slice.ts runs it (read with the widen hook,
// fuse, every float16 form), on the main thread (`load.main`) and with the prefetch's worker pool
// (slicegpt/prefetch-pool.ts, --workers, default prefetchWorkers(): `load.pool`): its wall seconds and the seconds the
// event loop was held (base/loop-delay.ts: what the passes' ORT runs would wait behind). --steps 0 skips the steps.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { flags } from './lib/flags';
import { sharedData } from '../test/shared';
import { synthModel } from '../core/synth/synth';
import { quietContext } from '../core/base/job-context';
import { openModel } from '../core/model/source';
import { SafetensorsModel, toFloat32 } from '../core/model/safetensors';
import { widenBf16, widenF16 } from '../core/model/bf16-bits';
import { fuseLayer } from '../core/slicegpt/fuse';
import { halfJobs, linearsOf } from '../core/slicegpt/half-forms';
import { PrefetchPool, prefetchWorkers } from '../core/slicegpt/prefetch-pool';
import { loopMark, loopSince, startLoopMonitor } from '../core/base/loop-delay';
import type { ModelSource, WidenHook } from '../core/model/model-source';

/** rotate-and-slice.ts `load` without the GPU: its wall seconds and the seconds the event loop was held. */
async function timedLoad(source: ModelSource, i: number, widen: WidenHook | undefined): Promise<{ wall: number; blocked: number; maxStall: number }> {
  const m = loopMark();
  const t = performance.now();
  const lw = await source.layer(i, { widen });
  await new Promise((r) => setImmediate(r));
  const fused = fuseLayer(source.config, lw);
  for (const j of halfJobs(lw, fused)) {
    await new Promise((r) => setImmediate(r)); // as engine.prepare: one matrix per turn of the loop
    j.form();
  }
  const wall = (performance.now() - t) / 1000;
  const l = loopSince(m);
  return { wall, blocked: l.blocked, maxStall: l.maxStall };
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const layers = Number(f.get('layers') ?? 2);
  const reps = Number(f.get('reps') ?? 1);
  const steps = f.get('steps') !== '0';
  const workers = Number(f.get('workers') ?? prefetchWorkers());
  const config = resolve(f.get('config') ?? sharedData('configs', 'llama-2-7b-hf.json'));
  const work = f.has('model') ? null : mkdtempSync(join(tmpdir(), 'prefetch-host-'));
  const model = f.has('model') ? resolve(f.get('model')!) : join(work!, 'synth');
  const out: Record<string, unknown> = { machine: `${availableParallelism()} cores, ${cpus()[0]?.model ?? '?'}`, node: process.version };
  try {
    if (work) {
      const t = performance.now();
      await synthModel(quietContext(), { config, out: model, dtype: 'bf16', layers, seed: 0, overwrite: true });
      out.synthSeconds = +((performance.now() - t) / 1000).toFixed(2);
    }
    const source = await openModel(model);
    const st = await SafetensorsModel.create(model);
    const cfg = source.config;
    const perLayer: Record<string, number>[] = [];
    const stopMonitor = startLoopMonitor();
    const pool = new PrefetchPool(Math.max(1, workers));
    out.workers = workers;
    for (let i = 0; i < cfg.numLayers; i++) {
      const best: Record<string, number> = {};
      const keep = (k: string, s: number) => (best[k] = Math.min(best[k] ?? Infinity, s));
      for (let r = 0; r < reps; r++) {
        for (const [mode, widen] of [
          ['main', undefined],
          ['pool', pool.hook()],
        ] as const) {
          const l = await timedLoad(source, i, widen);
          keep(`load.${mode}.wall`, l.wall);
          keep(`load.${mode}.blocked`, l.blocked);
          keep(`load.${mode}.maxStall`, l.maxStall);
        }
        if (!steps) continue;
        // Sub-steps of the read: the file reads alone, then widening those bytes.
        const names = st.names.filter((n) => n.startsWith(`model.layers.${i}.`));
        let t = performance.now();
        const bytes = await Promise.all(names.map(async (n) => [n, await st.readBytes(n)] as const));
        keep('read.io', (performance.now() - t) / 1000);
        t = performance.now();
        for (const [n, b] of bytes) {
          // What source.layer does after the read (model/source.ts #read).
          const dtype = st.info(n).dtype;
          if (dtype === 'BF16') widenBf16(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2));
          else if (dtype === 'F16') widenF16(new Uint16Array(b.buffer, b.byteOffset, b.byteLength / 2));
          else toFloat32(b, dtype);
        }
        keep('read.widen', (performance.now() - t) / 1000);
        // The steps as the prefetch runs them.
        t = performance.now();
        const lw = await source.layer(i);
        keep('read', (performance.now() - t) / 1000);
        t = performance.now();
        const fused = fuseLayer(cfg, lw);
        keep('fuse', (performance.now() - t) / 1000);
        let halfBytes = 0;
        let prepare = 0;
        const jobs = halfJobs(lw, fused);
        const roles = linearsOf(lw);
        for (let k = 0; k < jobs.length; k++) {
          t = performance.now();
          const h = jobs[k].form();
          const s = (performance.now() - t) / 1000;
          prepare += s;
          keep(`prepare.${roles[k].reader ? 'folded' : 'plain'}.${k}`, s);
          halfBytes += h ? h.bits.byteLength : 0;
        }
        keep('prepare', prepare);
        if (halfBytes === 0) throw new Error('no linear had an exact float16 form: the bench measures the wrong path');
      }
      if (steps) best.total = best.read + best.fuse + best.prepare;
      perLayer.push(Object.fromEntries(Object.entries(best).map(([k, v]) => [k, +v.toFixed(3)])));
    }
    const keys = Object.keys(perLayer[0]);
    out.meanSecondsPerLayer = Object.fromEntries(keys.map((k) => [k, +(perLayer.reduce((a, p) => a + p[k], 0) / perLayer.length).toFixed(3)]));
    out.perLayer = perLayer;
    stopMonitor();
    await pool.close();
  } finally {
    if (work && !f.has('keep')) rmSync(work, { recursive: true, force: true });
    else if (work) out.model = model;
  }
  console.log(JSON.stringify(out, null, 2));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main(process.argv.slice(2));
