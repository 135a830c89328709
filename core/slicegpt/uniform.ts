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
// The job is two streaming passes with a PCA between them, checkpointed at layer boundaries of each (every one
// for small models, big ones about every 120 s of work: checkpoint-cadence.ts; uniform-checkpoint.ts) so a
// cancelled or killed run resumes to the same bytes as an uninterrupted one.
// Reuses the per-layer engine's pieces (fuse, rotate, schedule, pca's SecondMoment, output folder); the
// folder it writes is an ordinary sliced folder (slicing_config.json with do_slice_head and all widths d)
// that the runtime loads unchanged. Dispatch from sliceModel: `if (o.rotation === 'uniform') return sliceUniform(ctx, o);`.
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkCancelled, type JobContext } from '../base/job-context';
import type { ModelConfig } from '../model/config';
import type { ModelSource } from '../model/model-source';
import type { LayerWeights, Linear } from '../model/weights';
import { headNormsOf } from '../model/weights';
import { openModel } from '../model/source';
import { isSlicedModelFolder } from './sliced-source';
import { embeddingTables } from '../model/families/index';
import { eigh } from '../linalg/eigh';
import { gemm } from '../linalg/matmul';
import { SliceOptionsError } from './errors';
import { prepareOut, validateSliceOptions } from './out-folder';
import { makeSchedule, type SliceSchedule } from './schedule';
import { fuseEmbedding, fuseHead, fuseLayer } from './fuse';
import { rotateEmbedding, rotateHead, type Rotation } from './rotate';
import { tiedEmbedding, tiedHead } from './tied';
import { storesTiedEmbedding } from '../model/tied-layout';
import { SecondMoment } from './pca';
import { ActivationStore, RamBudget, type Activations } from './activations';
import { DEFAULT_RAM_BUDGET_BYTES } from '../plan/budget';
import { createSignalEngine, type SignalEngine } from './engine';
import { sourceDtype } from './output-size';
import { SlicedModelWriter, type OutputDtype } from './output';
import { toSlicingConfig } from './slicing-config';
import { loadCalibration } from './calibration-input';
import type { Calibration, LayerTiming, SignalName, SignalStats } from './rotate-and-slice';
import type { SliceOptions, SliceResult } from './slice-options';
import { preflightSlice } from './preflight';
import { UniformCheckpoint, type UniformAxes, type UniformSignal } from './uniform-checkpoint';
import { CheckpointCadence } from './checkpoint-cadence';
import { readAhead } from './read-ahead';

export type UniformSliceOptions = Omit<SliceOptions, 'rotations' | 'sliceHead' | 'resume'> & {
  /** Ignored: uniform mode always slices the head (the residual has width d everywhere). */
  sliceHead?: boolean;
  /** Continue from the checkpoint in `out` (either pass). */
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

/** What every step of one uniform slice shares. */
interface UniformRun {
  ctx: JobContext;
  o: UniformSliceOptions;
  src: ModelSource;
  cfg: ModelConfig;
  D: number;
  L: number;
  schedule: SliceSchedule;
  cal: Calibration;
  batches: { count: number; ids: Int32Array; keep: Uint8Array }[];
  dtype: OutputDtype;
  scratch: string;
  budget: RamBudget;
  timings: LayerTiming[];
  spilled: number;
  progress(phase: string, done: number, layer?: number, data?: Record<string, unknown>): void;
}

/** Pass 1's sum: C, and each signal's moment (kept, float32, only to report what the final Q keeps of it). */
interface Signals {
  c: Float64Array;
  list: UniformSignal[];
  moments: ActivationStore;
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

/** Runs a checkpoint save, adding its seconds to the layer's `checkpoint` (both passes save after a layer). */
async function timed(t: LayerTiming, save: () => Promise<boolean>): Promise<void> {
  const t0 = now();
  await save();
  t.checkpoint = (t.checkpoint ?? 0) + (now() - t0);
}

export async function sliceUniform(ctx: JobContext, o: UniformSliceOptions): Promise<UniformSliceResult> {
  validateSliceOptions(o);
  const started = now();
  const run = await openUniform(ctx, o, started);
  const { engine, runner, kind, passDtype } = await createSignalEngine(run.src.arch, o.ep, {
    kind: o.engine,
    deviceBudgetBytes: o.deviceBudgetBytes,
    passDtype: o.passDtype,
    storeDtype: run.dtype,
  });
  let checkpoint: UniformCheckpoint;
  let cadence: CheckpointCadence;
  let axes: UniformAxes;
  let resumedAt: number | null = null;
  let fromLayer = 0;
  try {
    cadence = new CheckpointCadence(run.L, { ...o.checkpointCadence, everySeconds: o.checkpointEvery });
    checkpoint = new UniformCheckpoint(
      o.out,
      {
        modelFolder: o.model,
        ids: run.cal.ids,
        settings: {
          ratio: o.ratio,
          round: o.round,
          ep: o.ep,
          engine: kind,
          ...(passDtype === 'f16' ? { passDtype } : {}),
          dtype: run.dtype,
          batchSize: run.batches[0].count,
          nsamples: run.cal.nsamples,
          seqlen: run.cal.seqlen,
          rotation: 'uniform',
          version: 1,
        },
      },
      cadence,
    );
    const saved = o.resume ? checkpoint.load(run.budget, run.scratch, (m) => ctx.log(m)) : (checkpoint.remove(), null);
    if (saved) {
      run.timings.push(...saved.timings);
      resumedAt = saved.nextLayer;
      ctx.log(`resuming the ${saved.stage === 'signals' ? 'signal' : 'rotation'} pass at layer ${saved.nextLayer} of ${run.L}`);
    }
    if (saved?.stage === 'rotate') {
      axes = saved.axes;
      fromLayer = saved.nextLayer;
    } else {
      const signals = await collectSignals(run, engine, checkpoint, saved);
      axes = await principalAxes(run, signals);
    }
  } catch (e) {
    // Spilled activations are not part of the checkpoint; after a failure (a full disk above all) they only take space.
    rmSync(run.scratch, { recursive: true, force: true });
    await engine.close().finally(() => runner.dispose());
    throw e;
  }
  // The engine outlives pass 1: pass 2's weight rotations go through it too (writeRotated).
  try {
    await writeRotated(run, engine, axes, checkpoint, fromLayer);
  } finally {
    await engine.close().finally(() => runner.dispose());
  }
  await finishUniform(run, axes);
  const summary = cadence.summary('layer boundaries of both passes');
  if (summary) ctx.log(summary);
  checkpoint.remove();
  rmSync(run.scratch, { recursive: true, force: true });
  ctx.progress({ phase: 'done', fraction: 1 });
  return {
    out: o.out,
    d: run.schedule.d,
    schedule: run.schedule,
    stats: axes.stats,
    timings: run.timings,
    seconds: now() - started,
    resumedAt,
    checkpoints: { taken: cadence.taken, skipped: cadence.skipped },
    spilledChunks: run.spilled,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    dtype: run.dtype,
    rotation: 'uniform',
    uniform: { top: axes.top, explainedVariance: axes.explainedVariance, signals: axes.stats.length },
  };
}

/** Opens the model, checks what will be needed, loads the calibration windows and plans the one width. */
async function openUniform(ctx: JobContext, o: UniformSliceOptions, started: number): Promise<UniformRun> {
  ctx.progress({ phase: 'load', fraction: 0, message: `opening ${o.model}` });
  if (isSlicedModelFolder(o.model)) throw new SliceOptionsError(`${o.model} is already a sliced model; slice the dense original instead`);
  const src: ModelSource = await openModel(o.model);
  const cfg = src.config;
  // a slice keeps its source's dtype (fp16/bf16: 2 bytes), and the disk asked for is counted in it
  preflightSlice(cfg, o, 'uniform', o.dtype ?? sourceDtype(o.model));
  const D = cfg.hiddenSize;
  const L = cfg.numLayers;
  const cal = o.calibration ?? (await loadCalibration(o.model, o));
  if (cal.ids.length !== cal.nsamples * cal.seqlen) throw new SliceOptionsError('calibration ids do not match nsamples × seqlen');
  // One width everywhere, head included: the residual never changes basis.
  const schedule = makeSchedule({ hiddenSize: D, layers: L, parallelBlocks: cfg.parallelBlocks, ratio: o.ratio, round: o.round, sliceHead: true });
  const batchSize = o.batchSize ?? Math.max(1, Math.floor(4096 / cal.seqlen));
  prepareOut(o.out);
  const scratch = join(o.out, '.scratch');
  rmSync(scratch, { recursive: true, force: true });
  const units = 2 * L + 3; // pass 1: embedding + L layers; PCA; pass 2: embedding + L layers + head
  return {
    ctx,
    o,
    src,
    cfg,
    D,
    L,
    schedule,
    cal,
    batches: windowBatches(cal, batchSize, cfg.padTokenId ?? 0),
    // The source's own dtype (fp16/bf16 stay 2 bytes): a float32 slice of a float16 model is larger than it.
    dtype: o.dtype ?? sourceDtype(o.model),
    scratch,
    budget: new RamBudget(o.ramBudgetBytes ?? DEFAULT_RAM_BUDGET_BYTES),
    timings: [],
    spilled: 0,
    progress(phase, done, layer, data) {
      const elapsed = now() - started;
      const etaSeconds = done > 0 ? (elapsed / done) * (units - done) : undefined;
      ctx.progress({
        phase,
        ...(layer === undefined ? {} : { layer, layers: L }),
        fraction: done / units,
        ...(etaSeconds === undefined ? {} : { etaSeconds }),
        ...(data ? { data } : {}),
      });
    },
  };
}

/** Batches of windows with their padding masks (negative ids = padding, excluded from every moment). */
function windowBatches(cal: Calibration, batchSize: number, pad: number): UniformRun['batches'] {
  const T = cal.seqlen;
  const batches: UniformRun['batches'] = [];
  for (let start = 0; start < cal.nsamples; start += batchSize) {
    const count = Math.min(batchSize, cal.nsamples - start);
    const raw = cal.ids.subarray(start * T, (start + count) * T);
    batches.push({ count, ids: Int32Array.from(raw, (v) => (v >= 0 ? v : pad)), keep: Uint8Array.from(raw, (v) => (v >= 0 ? 1 : 0)) });
  }
  return batches;
}

/**
 * Pass 1: the dense fused model's residual signals, layer by layer, each layer's sum and inputs
 * checkpointed. Runs on the same signal engines as the per-layer algorithm (engine.ts): device-resident on a GPU EP.
 */
async function collectSignals(run: UniformRun, engine: SignalEngine, checkpoint: UniformCheckpoint, saved: ReturnType<UniformCheckpoint['load']>): Promise<Signals> {
  const { ctx, cfg, D, L, src, scratch, budget, batches } = run;
  const T = run.cal.seqlen;
  const device = engine.deviceSide();
  const signals: Signals = { c: new Float64Array(D * D), list: [], moments: new ActivationStore({ name: 'moment', width: D * D, dir: scratch, budget }) };
  let x: ActivationStore;
  let first = 0;
  if (saved?.stage === 'signals') {
    signals.c = saved.c;
    signals.list = saved.signals;
    saved.signals.forEach((_, k) => signals.moments.set(k, checkpoint.readMoment(k)));
    x = saved.inputs;
    first = saved.nextLayer;
  } else {
    const t = now();
    run.progress('signals', 0);
    const emb = fuseEmbedding(cfg, await src.embedding());
    x = new ActivationStore({ name: 'x-e', width: D, dir: scratch, budget, device });
    const m0 = new SecondMoment(D);
    for (let b = 0; b < batches.length; b++) {
      checkCancelled(ctx);
      const y = await engine.embed(emb, batches[b].ids, batches[b].count, T);
      await engine.moment(m0, y, batches[b].count * T, batches[b].keep);
      await x.put(b, y);
    }
    await absorb(run, engine, signals, [[m0, 'embedding']], null);
    await engine.endLayer();
    const timing: LayerTiming = { layer: -1, signals: now() - t, pca: 0, rotate: 0 };
    run.timings.push(timing);
    await timed(timing, () => checkpoint.saveSignals(0, x, signals, run.timings));
  }
  const layer = readAhead(src, L);
  for (let i = first; i < L; i++) {
    checkCancelled(ctx);
    const t = now();
    run.progress('signals', 1 + i, i);
    const w = fuseLayer(cfg, await layer(i));
    const next = new ActivationStore({ name: `x-${i}`, width: D, dir: scratch, budget, device });
    const moments = await layerSignals(run, engine, w, x, next);
    await absorb(run, engine, signals, moments, i);
    run.spilled += x.spilledChunks;
    x.clear();
    x = next;
    await engine.endLayer();
    const timing: LayerTiming = { layer: i, signals: now() - t, pca: 0, rotate: 0 };
    run.timings.push(timing);
    await timed(timing, () => checkpoint.saveSignals(i + 1, x, signals, run.timings));
  }
  run.spilled += x.spilledChunks;
  x.clear();
  return signals;
}

/** One layer's pass over every batch: its signals' moments (attention + mlp, or the parallel block's), its outputs into `next`. */
async function layerSignals(run: UniformRun, engine: SignalEngine, w: LayerWeights, x: ActivationStore, next: ActivationStore): Promise<[SecondMoment, SignalName][]> {
  const T = run.cal.seqlen;
  const moments: [SecondMoment, SignalName][] =
    w.kind === 'parallel'
      ? [[new SecondMoment(run.D), 'block']]
      : [
          [new SecondMoment(run.D), 'attention'],
          [new SecondMoment(run.D), 'mlp'],
        ];
  for (const [b, { count, keep }] of run.batches.entries()) {
    checkCancelled(run.ctx);
    let y: Activations;
    if (w.kind === 'parallel') {
      y = await engine.parallel(w.block, x.feed(b), count, T);
      x.drop(b);
    } else {
      const mid = await engine.attention(w.attn, x.feed(b), count, T);
      x.drop(b);
      await engine.moment(moments[0][0], mid, count * T, keep);
      y = await engine.mlp(w.mlp, mid, count, T);
      engine.release(mid);
    }
    await engine.moment(moments[moments.length - 1][0], y, count * T, keep);
    await next.put(b, y);
  }
  return moments;
}

/** Adds each finished moment to C as M/trace(M), keeps it for the kept-energy report (and the checkpoint). */
async function absorb(run: UniformRun, engine: SignalEngine, signals: Signals, moments: [SecondMoment, SignalName][], layer: number | null): Promise<void> {
  for (const [m] of moments) await engine.settle(m);
  for (const [m, signal] of moments) {
    const h = m.matrix();
    const tr = trace(h, run.D);
    if (!(tr > 0)) throw new SliceOptionsError(`the ${signal} signal${layer === null ? '' : ` of layer ${layer}`} is zero on the calibration data`);
    for (let i = 0; i < h.length; i++) signals.c[i] += h[i] / tr;
    const kept = Float32Array.from(h);
    signals.moments.set(signals.list.length, kept);
    signals.list.push({ layer, signal, tokens: m.tokens, trace: tr });
  }
}

/** PCA of C: Q (descending), and the share of each signal's energy it keeps at d. */
async function principalAxes(run: UniformRun, signals: Signals): Promise<UniformAxes> {
  const { ctx, D, L } = run;
  const d = run.schedule.d;
  const t = now();
  run.progress('pca', L + 1);
  checkCancelled(ctx);
  // No damping: adding a multiple of I would not change the eigenvectors.
  const { values, vectors } = await eigh(signals.c, D, { signal: ctx.signal });
  const order = Array.from({ length: D }, (_, k) => k).sort((a, b) => values[b] - values[a] || a - b);
  const q = new Float64Array(D * D);
  for (let col = 0; col < D; col++) for (let r = 0; r < D; r++) q[r * D + col] = vectors[r * D + order[col]];
  const top = order.slice(0, 64).map((k) => values[k]);
  run.timings[0].pca = now() - t;

  // Per-signal kept energy at d: trace(Q_dᵀ·M·Q_d)/trace(M) = ⟨M, Q_d·Q_dᵀ⟩/trace(M), one O(D³) product in all.
  const qd = new Float64Array(D * d);
  for (let r = 0; r < D; r++) qd.set(q.subarray(r * D, r * D + d), r * d);
  const projector = await gemm(qd, qd, D, d, D, { transB: true });
  const stats: SignalStats[] = signals.list.map((s, k) => ({
    layer: s.layer,
    signal: s.signal,
    kept: d,
    width: D,
    tokens: s.tokens,
    // Per-signal spectra are not computed in uniform mode (one eigendecomposition in all): see `uniform.top`.
    top: [],
    explainedVariance: frobeniusDot(signals.moments.get(k), projector) / s.trace,
  }));
  run.spilled += signals.moments.spilledChunks;
  signals.moments.clear();
  const explainedVariance = frobeniusDot(signals.c, projector) / signals.list.length;
  ctx.log(`uniform rotation: kept ${(explainedVariance * 100).toFixed(2)} % of the normalised residual energy at d = ${d} of ${D}`);
  return { q, top, stats, explainedVariance };
}

/**
 * Every reader W·Q[:, :d], every writer (Qᵀ·W)[:d, :] of one layer, through the signal engine as in per-layer
 * mode: float32 products on the GPU on a GPU EP (at most 1 ulp from float64 in a 16-bit output; ~5 min → under 1
 * for LLaMA-2-7B), float64 on the host with the host engine (the CPU EP's default: bytes unchanged).
 */
async function rotateLayer(engine: SignalEngine, w: LayerWeights, rot: Rotation, d: number): Promise<LayerWeights> {
  // One batch: a single device run for the layer's seven products.
  const b = engine.batch();
  const read = (l: Linear) => b.reader(l, rot, d);
  const write = (l: Linear) => b.writer(l, rot, d);
  const a = w.kind === 'parallel' ? w.block.attn : w.attn;
  const m = w.kind === 'parallel' ? w.block.mlp : w.mlp;
  const p = { q: read(a.q), k: read(a.k), v: read(a.v), o: write(a.o), gate: m.gate ? read(m.gate) : null, up: read(m.up), down: write(m.down) };
  await b.run();
  const attn = { q: await p.q, k: await p.k, v: await p.v, o: await p.o };
  const mlp = { ...(p.gate ? { gate: await p.gate } : {}), up: await p.up, down: await p.down };
  if (w.kind === 'parallel') return { kind: 'parallel', block: { norm: w.block.norm, attn, mlp } };
  return { kind: 'sequential', attn: { norm: w.attn.norm, ...attn, ...headNormsOf(w.attn) }, mlp: { norm: w.mlp.norm, ...mlp } };
}

/** Pass 2: rotate and slice every piece by the one Q, streaming layer by layer into the folder (from `fromLayer` on a resume). */
async function writeRotated(run: UniformRun, engine: SignalEngine, axes: UniformAxes, checkpoint: UniformCheckpoint, fromLayer: number): Promise<void> {
  const { ctx, cfg, src, L } = run;
  const d = run.schedule.d;
  const rot: Rotation = { q: axes.q, n: run.D };
  const writer = new SlicedModelWriter(run.o.out, cfg, run.dtype);
  // A tied embedding is stored once (sliced format 2, tied.ts): the head is written from the same table.
  const tied = storesTiedEmbedding(cfg, d, d);
  if (fromLayer === 0) {
    const t = now();
    run.progress('rotate', L + 2);
    const sourceEmb = await src.embedding();
    await writer.writeEmbedding(tied ? await tiedEmbedding(cfg, sourceEmb, rot, d) : await rotateEmbedding(fuseEmbedding(cfg, sourceEmb), rot, d));
    run.timings[0].rotate = now() - t;
    await timed(run.timings[0], () => checkpoint.saveRotation(0, axes, run.timings, run.scratch, run.budget));
  }
  const layer = readAhead(src, L);
  // Each layer's shard is written while the next layer is rotated (one in flight). The boundary before layer i is
  // therefore saved one layer late — once layer i − 1's shard is on disk —, and the last one after the last shard.
  let written: Promise<void> = Promise.resolve();
  for (let i = fromLayer; i < L; i++) {
    checkCancelled(ctx);
    const t = now();
    const raw = await layer(i);
    const fused = fuseLayer(cfg, raw);
    // The device engine's exact float16 uploads (readers from their source and γ): half-weights.ts.
    await engine.prepare(raw, fused);
    const rotated = await rotateLayer(engine, fused, rot, d);
    // Frees the layer's device uploads (Q[:, :d] included); the rotated weights are host arrays already.
    await engine.endLayer();
    await written;
    if (i > fromLayer) await timed(run.timings[i], () => checkpoint.saveRotation(i, axes, run.timings, run.scratch, run.budget));
    written = writer.writeLayer(i, rotated);
    written.catch(() => {});
    run.timings[i + 1].rotate = now() - t;
    const ev = axes.stats.filter((s) => s.layer === i).map((s) => s.explainedVariance);
    run.progress('rotate', L + 3 + i, i, { explainedVariance: Math.min(...ev) });
  }
  await written;
  if (fromLayer < L) await timed(run.timings[L], () => checkpoint.saveRotation(L, axes, run.timings, run.scratch, run.budget));
  const sourceHead = await src.head();
  await writer.writeHead(tied ? await tiedHead(cfg, sourceHead, rot, d) : await rotateHead(fuseHead(cfg, sourceHead), rot, d));
}

/** The folder's index, configs (slicing_config.json: every width d, head sliced) and tokenizer. */
async function finishUniform(run: UniformRun, axes: UniformAxes): Promise<void> {
  const { o, cfg, cal } = run;
  const writer = new SlicedModelWriter(o.out, cfg, run.dtype);
  await writer.finish(o.model, toSlicingConfig(run.schedule, embeddingTables(cfg)), {
    slicedBy: 'Slice Studio (SliceGPT, uniform rotation)',
    rotation: 'uniform',
    source: resolve(o.model),
    ratio: o.ratio,
    d: run.schedule.d,
    calibration: { cal: o.calibration ? 'custom' : o.cal, nsamples: cal.nsamples, seqlen: cal.seqlen, sampling: o.sampling, seed: o.seed },
    round: o.round,
    dtype: run.dtype,
    uniform: { top: axes.top, explainedVariance: axes.explainedVariance },
    stats: axes.stats,
  });
}
