// SliceGPT with ONE rotation for the whole residual stream (`--rotation uniform`).
//
// Per-layer SliceGPT gives every signal its own Q and carries d_in×d_out shortcut matrices on the residual;
// runtimes with a fixed llama graph (llama.cpp/GGUF, Ollama, LM Studio) have no place for those. Here one
// orthogonal Q serves every signal, so the residual stays in one basis from the embeddings to the head and
// every shortcut is the identity (widths equal, no tensors).
//
// Q = eigenvectors (descending) of C = Σ_s M_s / trace(M_s), where M_s = Σ XᵀX (float64, padding excluded) of
// every residual-stream signal of the DENSE fused model over the calibration set: the embedding output,
// each layer's mid signal (the residual after attention) and output (parallel blocks: the embedding and
// each block output). Normalising by the trace weighs the signals equally although the residual's norm
// grows with depth (otherwise the last layers would pick Q alone). Then every reader takes W·Q[:, :d],
// every writer (Qᵀ·W)[:d, :], the embeddings E·Q[:, :d] and the head (sliced too) W_head·Q[:, :d].
// Unlike per-layer mode the signals come from the dense model, not the sliced one: one Q cannot adapt.
//
// Reuses the per-layer engine's pieces (fuse, rotate, schedule, pca's SecondMoment, output folder); the
// folder it writes is an ordinary sliced folder (slicing_config.json with do_slice_head and all widths d)
// that the runtime loads unchanged. Dispatch from sliceModel: `if (o.rotation === 'uniform') return sliceUniform(ctx, o);`.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkCancelled, type JobContext } from '../base/job-context';
import type { ModelSource } from '../model/model-source';
import type { LayerWeights } from '../model/weights';
import { openModel } from '../model/source';
import { isSlicedModelFolder } from './sliced-source';
import { embeddingTables } from '../model/families/index';
import { eigh } from '../linalg/eigh';
import { gemm } from '../linalg/matmul';
import { SliceOptionsError } from './errors';
import { prepareOut, validateSliceOptions } from './out-folder';
import { makeSchedule } from './schedule';
import { fuseEmbedding, fuseHead, fuseLayer } from './fuse';
import { rotateEmbedding, rotateHead, rotateReader, rotateWriter, type Rotation } from './rotate';
import { tiedEmbedding, tiedHead } from './tied';
import { storesTiedEmbedding } from '../model/tied-layout';
import { SecondMoment } from './pca';
import { ActivationStore, RamBudget } from './activations';
import { createSignalEngine } from './engine';
import { sourceDtype } from './output-size';
import { SlicedModelWriter } from './output';
import { toSlicingConfig } from './slicing-config';
import { loadCalibration } from './calibration-input';
import type { LayerTiming, SignalName, SignalStats } from './rotate-and-slice';
import type { SliceOptions, SliceResult } from './slice-options';
import { preflight } from './preflight';

export type UniformSliceOptions = Omit<SliceOptions, 'rotations' | 'sliceHead' | 'resume'> & {
  /** Ignored: uniform mode always slices the head (the residual has width d everywhere). */
  sliceHead?: boolean;
  /** Not supported (the job is two streaming passes with no per-layer state worth keeping); a fresh run starts. */
  resume?: boolean;
};

export interface UniformSliceResult extends SliceResult {
  rotation: 'uniform';
  uniform: {
    /** Leading eigenvalues (at most 64) of C = Σ M_s / trace(M_s). */
    top: number[];
    /** Fraction of trace(C) kept at d (the mean over signals of their kept fractions). */
    explainedVariance: number;
    signals: number;
  };
}



/** trace(M) of a row-major n×n matrix. */
function trace(m: ArrayLike<number>, n: number): number {
  let t = 0;
  for (let i = 0; i < n; i++) t += m[i * n + i];
  return t;
}

/** Σ_ij A_ij·B_ij in float64 (= trace(AᵀB); with B = Q_d·Q_dᵀ and A symmetric: the energy A keeps at d). */
function frobeniusDot(a: ArrayLike<number>, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i++) s += a[i] * b[i];
  return s;
}

const now = () => performance.now() / 1000;

export async function sliceUniform(ctx: JobContext, o: UniformSliceOptions): Promise<UniformSliceResult> {
  validateSliceOptions(o);
  const started = now();
  ctx.progress({ phase: 'load', fraction: 0, message: `opening ${o.model}` });
  if (isSlicedModelFolder(o.model)) throw new SliceOptionsError(`${o.model} is already a sliced model; slice the dense original instead`);
  if (o.resume) ctx.log('uniform rotation has no checkpoints; starting a fresh run');
  const src: ModelSource = await openModel(o.model);
  const cfg = src.config;
  // The source's own dtype (fp16/bf16 stay 2 bytes): a float32 slice of a float16 model is larger than it,
  // and the disk the preflight asks for is counted in it.
  const dtype = o.dtype ?? sourceDtype(o.model);
  preflight(cfg, { out: o.out, ratio: o.ratio, nsamples: o.calibration?.nsamples ?? o.nsamples, seqlen: o.calibration?.seqlen ?? o.seqlen, ep: o.ep, round: o.round, rotation: 'uniform', resume: false, ramBudgetBytes: o.ramBudgetBytes, outputBytesPerWeight: dtype === 'float32' ? 4 : 2 });
  const D = cfg.hiddenSize;
  const L = cfg.numLayers;
  const cal = o.calibration ?? (await loadCalibration(o.model, o));
  if (cal.ids.length !== cal.nsamples * cal.seqlen) throw new SliceOptionsError('calibration ids do not match nsamples × seqlen');
  // One width everywhere, head included: the residual never changes basis.
  const schedule = makeSchedule({ hiddenSize: D, layers: L, parallelBlocks: cfg.parallelBlocks, ratio: o.ratio, round: o.round, sliceHead: true });
  const d = schedule.d;
  const batchSize = o.batchSize ?? Math.max(1, Math.floor(4096 / cal.seqlen));

  prepareOut(o.out);
  const scratch = join(o.out, '.scratch');
  rmSync(scratch, { recursive: true, force: true });
  const budget = new RamBudget(o.ramBudgetBytes ?? 4 * 2 ** 30);

  // Batches of windows with their padding masks (negative ids = padding, excluded from every moment).
  const pad = cfg.padTokenId ?? 0;
  const T = cal.seqlen;
  const batches: { count: number; ids: Int32Array; keep: Uint8Array }[] = [];
  for (let start = 0; start < cal.nsamples; start += batchSize) {
    const count = Math.min(batchSize, cal.nsamples - start);
    const raw = cal.ids.subarray(start * T, (start + count) * T);
    batches.push({ count, ids: Int32Array.from(raw, (v) => (v >= 0 ? v : pad)), keep: Uint8Array.from(raw, (v) => (v >= 0 ? 1 : 0)) });
  }
  const tokensOf = (b: number) => batches[b].count * T;

  // Pass 1: the dense fused model's residual signals. C accumulates M/trace(M); each M is kept (float32,
  // spilled above the RAM budget) only to report how much of it the final Q keeps.
  const c = new Float64Array(D * D);
  const moments = new ActivationStore({ name: 'moment', width: D * D, dir: scratch, budget });
  const signals: { layer: number | null; signal: SignalName; tokens: number; trace: number }[] = [];
  const timings: LayerTiming[] = [];
  const units = 2 * L + 3; // pass 1: embedding + L layers; PCA; pass 2: embedding + L layers + head
  const progress = (phase: string, done: number, layer?: number, data?: Record<string, unknown>) => {
    const elapsed = now() - started;
    const etaSeconds = done > 0 ? (elapsed / done) * (units - done) : undefined;
    ctx.progress({ phase, ...(layer === undefined ? {} : { layer, layers: L }), fraction: done / units, ...(etaSeconds === undefined ? {} : { etaSeconds }), ...(data ? { data } : {}) });
  };
  const absorb = async (m: SecondMoment, layer: number | null, signal: SignalName) => {
    const h = m.matrix();
    const tr = trace(h, D);
    if (!(tr > 0)) throw new SliceOptionsError(`the ${signal} signal${layer === null ? '' : ` of layer ${layer}`} is zero on the calibration data`);
    for (let i = 0; i < h.length; i++) c[i] += h[i] / tr;
    moments.set(signals.length, Float32Array.from(h));
    signals.push({ layer, signal, tokens: m.tokens, trace: tr });
  };

  // Pass 1 runs on the same signal engines as the per-layer algorithm (engine.ts): device-resident on a GPU EP.
  const { runner, engine } = await createSignalEngine(src.arch, o.ep, { kind: o.engine, deviceBudgetBytes: o.deviceBudgetBytes, passDtype: o.passDtype });
  const device = engine.deviceSide();
  let spilled = 0;
  let top: number[] = [];
  let q: Float64Array;
  try {
    let t = now();
    progress('signals', 0);
    const emb = fuseEmbedding(cfg, await src.embedding());
    let x = new ActivationStore({ name: 'x-e', width: D, dir: scratch, budget, device });
    const m0 = new SecondMoment(D);
    for (let b = 0; b < batches.length; b++) {
      checkCancelled(ctx);
      const y = await engine.embed(emb, batches[b].ids, batches[b].count, T);
      await engine.moment(m0, y, tokensOf(b), batches[b].keep);
      await x.put(b, y);
    }
    await engine.settle(m0);
    await absorb(m0, null, 'embedding');
    await engine.endLayer();
    timings.push({ layer: -1, signals: now() - t, pca: 0, rotate: 0 });
    for (let i = 0; i < L; i++) {
      checkCancelled(ctx);
      t = now();
      progress('signals', 1 + i, i);
      const w = fuseLayer(cfg, await src.layer(i));
      const next = new ActivationStore({ name: `x-${i}`, width: D, dir: scratch, budget, device });
      if (w.kind === 'parallel') {
        const mOut = new SecondMoment(D);
        for (let b = 0; b < batches.length; b++) {
          checkCancelled(ctx);
          const y = await engine.parallel(w.block, x.feed(b), batches[b].count, T);
          x.drop(b);
          await engine.moment(mOut, y, tokensOf(b), batches[b].keep);
          await next.put(b, y);
        }
        await engine.settle(mOut);
        await absorb(mOut, i, 'block');
      } else {
        const mMid = new SecondMoment(D);
        const mOut = new SecondMoment(D);
        for (let b = 0; b < batches.length; b++) {
          checkCancelled(ctx);
          const mid = await engine.attention(w.attn, x.feed(b), batches[b].count, T);
          x.drop(b);
          await engine.moment(mMid, mid, tokensOf(b), batches[b].keep);
          const y = await engine.mlp(w.mlp, mid, batches[b].count, T);
          engine.release(mid);
          await engine.moment(mOut, y, tokensOf(b), batches[b].keep);
          await next.put(b, y);
        }
        await engine.settle(mMid);
        await engine.settle(mOut);
        await absorb(mMid, i, 'attention');
        await absorb(mOut, i, 'mlp');
      }
      spilled += x.spilledChunks;
      x.clear();
      x = next;
      await engine.endLayer();
      timings.push({ layer: i, signals: now() - t, pca: 0, rotate: 0 });
    }
    spilled += x.spilledChunks;
    x.clear();

    // PCA of C: Q, descending. (No damping: adding a multiple of I would not change the eigenvectors.)
    t = now();
    progress('pca', L + 1);
    checkCancelled(ctx);
    const { values, vectors } = await eigh(c, D, { signal: ctx.signal });
    const order = Array.from({ length: D }, (_, k) => k).sort((a, b) => values[b] - values[a] || a - b);
    q = new Float64Array(D * D);
    for (let col = 0; col < D; col++) for (let r = 0; r < D; r++) q[r * D + col] = vectors[r * D + order[col]];
    top = order.slice(0, 64).map((k) => values[k]);
    timings[0].pca = now() - t;
  } catch (e) {
    // Spilled activations are all this mode keeps on disk; after a failure (a full disk above all) they only take space.
    rmSync(scratch, { recursive: true, force: true });
    await runner.dispose();
    throw e;
  }

  // Per-signal kept energy at d: trace(Q_dᵀ·M·Q_d)/trace(M) = ⟨M, Q_d·Q_dᵀ⟩/trace(M), one O(D³) product in all.
  const qd = new Float64Array(D * d);
  for (let r = 0; r < D; r++) qd.set(q.subarray(r * D, r * D + d), r * d);
  const projector = await gemm(qd, qd, D, d, D, { transB: true });
  const stats: SignalStats[] = signals.map((s, k) => ({
    layer: s.layer,
    signal: s.signal,
    kept: d,
    width: D,
    tokens: s.tokens,
    // Per-signal spectra are not computed in uniform mode (one eigendecomposition in all): see `uniform.top`.
    top: [],
    explainedVariance: frobeniusDot(moments.get(k), projector) / s.trace,
  }));
  spilled += moments.spilledChunks;
  moments.clear();
  const uniformEv = frobeniusDot(c, projector) / signals.length;
  ctx.log(`uniform rotation: kept ${(uniformEv * 100).toFixed(2)} % of the normalised residual energy at d = ${d} of ${D}`);

  // Pass 2: rotate and slice every piece by the one Q, streaming layer by layer into the folder. The layers'
  // weights go through the signal engine, as in per-layer mode: float32 products on the GPU on a GPU EP (at
  // most 1 ulp from float64 in a 16-bit output; 5 min → under 1 for LLaMA-2-7B), float64 on the host otherwise.
  const rot: Rotation = { q, n: D };
  const writer = new SlicedModelWriter(o.out, cfg, dtype);
  try {
    let t = now();
    progress('rotate', L + 2);
    const tied = storesTiedEmbedding(cfg, d, d);
    const sourceEmb = await src.embedding();
    await writer.writeEmbedding(tied ? await tiedEmbedding(cfg, sourceEmb, rot, d) : await rotateEmbedding(fuseEmbedding(cfg, sourceEmb), rot, d));
    timings[0].rotate = now() - t;
    for (let i = 0; i < L; i++) {
      checkCancelled(ctx);
      t = now();
      const w = fuseLayer(cfg, await src.layer(i));
      const read = (l: Parameters<typeof rotateReader>[0]) => engine.rotateReader(l, rot, d);
      const write = (l: Parameters<typeof rotateWriter>[0]) => engine.rotateWriter(l, rot, d);
      let out: LayerWeights;
      if (w.kind === 'parallel') {
        const { norm, attn, mlp } = w.block;
        out = {
          kind: 'parallel',
          block: {
            norm,
            attn: { q: await read(attn.q), k: await read(attn.k), v: await read(attn.v), o: await write(attn.o) },
            mlp: { ...(mlp.gate ? { gate: await read(mlp.gate) } : {}), up: await read(mlp.up), down: await write(mlp.down) },
          },
        };
      } else {
        const { attn, mlp } = w;
        out = {
          kind: 'sequential',
          attn: { norm: attn.norm, q: await read(attn.q), k: await read(attn.k), v: await read(attn.v), o: await write(attn.o) },
          mlp: { norm: mlp.norm, ...(mlp.gate ? { gate: await read(mlp.gate) } : {}), up: await read(mlp.up), down: await write(mlp.down) },
        };
      }
      await engine.endLayer();
      await writer.writeLayer(i, out);
      timings[i + 1].rotate = now() - t;
      const ev = stats.filter((s) => s.layer === i).map((s) => s.explainedVariance);
      progress('rotate', L + 3 + i, i, { explainedVariance: Math.min(...ev) });
    }
    const sourceHead = await src.head();
    await writer.writeHead(tied ? await tiedHead(cfg, sourceHead, rot, d) : await rotateHead(fuseHead(cfg, sourceHead), rot, d));
  } finally {
    await runner.dispose();
  }

  await writer.finish(o.model, toSlicingConfig(schedule, embeddingTables(cfg)), {
    slicedBy: 'Slice Studio (SliceGPT, uniform rotation)',
    rotation: 'uniform',
    source: resolve(o.model),
    ratio: o.ratio,
    d,
    calibration: { cal: o.calibration ? 'custom' : o.cal, nsamples: cal.nsamples, seqlen: cal.seqlen, sampling: o.sampling, seed: o.seed },
    round: o.round,
    dtype,
    uniform: { top, explainedVariance: uniformEv },
    stats,
  });
  rmSync(scratch, { recursive: true, force: true });
  ctx.progress({ phase: 'done', fraction: 1 });
  return {
    out: o.out,
    d,
    schedule,
    stats,
    timings,
    seconds: now() - started,
    resumedAt: null,
    spilledChunks: spilled,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    dtype,
    rotation: 'uniform',
    uniform: { top, explainedVariance: uniformEv, signals: signals.length },
  };
}
