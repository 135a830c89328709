// Step 3 of SliceGPT, written once for both block shapes: rotate and slice layer by layer, every signal taken
// from the already-sliced preceding layers (microsoft/TransformerCompression rotate.py `rotate_and_slice`).
//
// Sequential family (llama, mistral, qwen2, opt), per layer with incoming rotation Q_in and kept width d_in:
//   q, k, v ← W·Q_in[:, :d_in]; run attention with shortcut Q_in[:, :d_in]ᵀ and the un-rotated o_proj
//   → the residual after attention (full width D) → PCA → Q_mid;
//   o ← (Q_midᵀ·W_o)[:d, :]; attention shortcut = Q_in[:, :d_in]ᵀ·Q_mid[:, :d];
//   MLP inputs ← W·Q_mid[:, :d]; re-run the sliced attention, then the MLP with shortcut Q_mid[:, :d]ᵀ and
//   the un-rotated down projection → layer output (width D) → PCA → Q_out;
//   down ← (Q_outᵀ·W_down)[:d_out, :]; MLP shortcut = Q_mid[:, :d]ᵀ·Q_out[:, :d_out];
//   next inputs = (output·Q_out)[:, :d_out].
// Parallel family (phi): one PCA per layer on the block output; shortcut Q_in[:, :d_in]ᵀ·Q_out[:, :d_out].
// The embeddings are rotated by Q₀ (PCA of their output); the head by the last Q (unsliced unless asked).
import type { ModelSource } from '../model/model-source';
import type { BlockRunner } from '../runtime/contract';
import type { AttentionWeights, EmbeddingWeights, HeadWeights, LayerWeights, MlpWeights, ParallelWeights } from '../model/weights';
import { headNormsOf } from '../model/weights';
import { checkCancelled, type JobContext } from '../base/job-context';
import { fuseEmbedding, fuseHead, fuseLayer } from './fuse';
import { prefetchHook } from './prefetch-pool';
import { rotateEmbedding, rotateHead, type Rotation } from './rotate';
import type { QMatrix } from './q-matrix';
import { tiedEmbedding, tiedHead } from './tied';
import { storesTiedEmbedding } from '../model/tied-layout';
import { SecondMoment, principalDirections, explainedVariance, pcaSolverFor, type PcaSolver } from './pca';
import { releasePcaSolver } from './pca-solver';
import { ActivationStore, RamBudget, type Activations } from './activations';
import { hostEngine, type SignalEngine, type WeightBatch } from './engine';
import type { SliceSchedule } from './schedule';
import { Laps } from '../base/laps';
import { Quiet } from '../base/quiet';
import { loopMark, loopSince, startLoopMonitor } from '../base/loop-delay';

export type SignalName = 'embedding' | 'attention' | 'mlp' | 'block';

export interface SignalStats {
  layer: number | null;
  signal: SignalName;
  /** Kept width after slicing this signal. */
  kept: number;
  width: number;
  tokens: number;
  /** Leading eigenvalues of ΣXᵀX (undamped), at most 64. */
  top: number[];
  explainedVariance: number;
}

export interface LayerTiming {
  layer: number;
  /** Reading the layer's weights and fusing its norms. */
  load?: number;
  /** Running the blocks on the calibration windows and accumulating the second moments. */
  signals: number;
  pca: number;
  rotate: number;
  /**
   * Where the phases' seconds went (laps.ts): `signals.*`, `pca.*`, `rotate.*` steps, their parts nested
   * (`rotate.products.run`, `pca.eigh.tridiagonalize`, …). Absent in timings recorded before it existed.
   * Beside them, not part of any phase's sum: `loop.<phase>.blocked` / `.maxStall` (seconds) / `.stalls` — how long
   * the event loop was held by synchronous work during the phase (base/loop-delay.ts; phases load, signals, pca,
   * rotate, checkpoint), `pcaOf.<signal>` (+ `.loopBlocked`) — each signal's PCA alone, and `weights.read` / `.fuse` /
   * `.prepare` — the wall seconds of reading this layer's weights, wherever they ran (during the previous layer when
   * prefetched; `weights.prefetched` 1 then).
   */
  detail?: Record<string, number>;
  /** Saving the checkpoint after the layer (onLayerDone), which follows the phases. */
  checkpoint?: number;
}

export interface Calibration {
  /** nsamples × seqlen token ids; a negative id marks padding (excluded from every PCA). */
  ids: Int32Array;
  nsamples: number;
  seqlen: number;
}

/** Where finished pieces go (a model folder writer, or memory in tests). */
export interface SlicedSink {
  embedding(e: EmbeddingWeights): Promise<void>;
  layer(i: number, w: LayerWeights): Promise<void>;
  head(h: HeadWeights): Promise<void>;
}

/** The rotation for a signal: PCA by default; tests may inject e.g. random orthogonal matrices. */
export type RotationProvider = (
  signal: SignalName,
  layer: number | null,
  moment: SecondMoment,
) => Promise<{ q: QMatrix; eigenvalues?: Float64Array; /** Seconds per step of finding it (pca.ts principalDirections). */ timings?: Record<string, number> }>;

/** The state between layers: everything needed to continue at `nextLayer` (persisted by checkpoint.ts). */
export interface LayerBoundary {
  nextLayer: number;
  /** The next layer's inputs: rotated by q and sliced. */
  inputs: ActivationStore;
  q: QMatrix;
  stats: SignalStats[];
  timings: LayerTiming[];
  /**
   * The shard of the layer just done, still being written (the write overlaps the next layer's work). A
   * checkpoint of this boundary must await it first: a taken boundary promises every layer before it on disk.
   */
  written?: Promise<void>;
}

export interface RotateAndSliceOptions {
  source: ModelSource;
  runner: BlockRunner;
  calibration: Calibration;
  schedule: SliceSchedule;
  sink: SlicedSink;
  /** Windows per block call. */
  batchSize: number;
  /** Where activations spill above `ramBudgetBytes`. */
  scratch: string;
  ramBudgetBytes: number;
  rotations?: RotationProvider;
  /** Continue from a checkpoint instead of starting at the embeddings. */
  resume?: LayerBoundary;
  /** Called after each layer is written (checkpoint). */
  onLayerDone?: (b: LayerBoundary) => Promise<void>;
  /** Where activations live and the activation products run (default: host, float64). */
  engine?: SignalEngine;
  /**
   * Read the next layer's weights while this layer's passes run (default true). Off for sources whose
   * reading is synchronous work (the benchmark's random weights): there it would only move that work
   * into the passes. SLICE_STUDIO_NO_PREFETCH=1 turns it off whatever this says (a diagnosis: the same bits).
   */
  prefetch?: boolean;
}

export interface RotateAndSliceResult {
  stats: SignalStats[];
  timings: LayerTiming[];
  /** Chunks that went to disk because of the RAM budget (0 = everything stayed in memory). */
  spilledChunks: number;
}

// float32Vectors: the device engine converts Q to float32 anyway, so the WGSL solver's float32 eigenvectors are
// kept as they came down (q-matrix.ts); the host engine keeps float64 Q. `scratch`: the WGSL solver's upload
// array, one for the job's PCAs (they run one at a time; damped-upload.ts).
const pcaRotation = (solver: PcaSolver, ctx: JobContext, float32Vectors: boolean): RotationProvider => {
  const scratch = {};
  return async (_s, _l, m) => {
    const timings: Record<string, number> = {};
    const r = await principalDirections(m, solver, { signal: ctx.signal, log: (line) => ctx.log(line), timings, float32Vectors, scratch });
    return { q: r.q, eigenvalues: r.eigenvalues, timings };
  };
};

const now = () => performance.now() / 1000;

export async function rotateAndSlice(ctx: JobContext, o: RotateAndSliceOptions): Promise<RotateAndSliceResult> {
  // The event loop's stalls per phase (LayerTiming.detail `loop.*`): one 10 ms timer while the job runs.
  const stopLoop = startLoopMonitor();
  try {
    return await slicing(ctx, o);
  } finally {
    stopLoop();
    // The WGSL eigensolver's device lives for one job: a live Dawn device keeps Node from exiting.
    await releasePcaSolver();
  }
}

async function slicing(ctx: JobContext, o: RotateAndSliceOptions): Promise<RotateAndSliceResult> {
  const { source, runner, calibration: cal, schedule: s, sink } = o;
  const D = s.hiddenSize;
  const L = s.layers;
  const rotations = o.rotations ?? pcaRotation(pcaSolverFor(o.engine?.kind ?? 'host', runner.ep), ctx, o.engine?.kind === 'device');
  const budget = new RamBudget(o.ramBudgetBytes);
  const cfg = source.config;

  // Batches of windows; padding mask per batch.
  const batches: { start: number; count: number; ids: Int32Array; keep: Uint8Array }[] = [];
  const pad = cfg.padTokenId ?? 0;
  for (let start = 0; start < cal.nsamples; start += o.batchSize) {
    const count = Math.min(o.batchSize, cal.nsamples - start);
    const raw = cal.ids.subarray(start * cal.seqlen, (start + count) * cal.seqlen);
    const keep = new Uint8Array(raw.length);
    const ids = new Int32Array(raw.length);
    for (let t = 0; t < raw.length; t++) {
      keep[t] = raw[t] >= 0 ? 1 : 0;
      ids[t] = raw[t] >= 0 ? raw[t] : pad;
    }
    batches.push({ start, count, ids, keep });
  }
  const T = cal.seqlen;
  const tokensOf = (b: number) => batches[b].count * T;

  // Progress: the embeddings count as one unit of work, each layer as one.
  const t0 = now();
  const startUnit = o.resume ? o.resume.nextLayer + 1 : 0;
  const progress = (phase: string, layer: number | null, within: number, data?: Record<string, unknown>) => {
    const done = (layer === null ? 0 : layer + 1) + within;
    const fraction = done / (L + 1);
    const sessionDone = done - startUnit;
    const elapsed = now() - t0;
    const etaSeconds = sessionDone > 0 ? (elapsed / sessionDone) * (L + 1 - done) : undefined;
    ctx.progress({ phase, ...(layer === null ? {} : { layer, layers: L }), fraction, ...(etaSeconds === undefined ? {} : { etaSeconds }), ...(data ? { data } : {}) });
  };

  const stats: SignalStats[] = o.resume ? [...o.resume.stats] : [];
  const timings: LayerTiming[] = o.resume ? [...o.resume.timings] : [];
  const record = (signal: SignalName, layer: number | null, kept: number, width: number, m: SecondMoment, ev?: Float64Array) => {
    const st: SignalStats = {
      layer,
      signal,
      kept,
      width,
      tokens: m.tokens,
      top: ev ? Array.from(ev.subarray(0, 64)) : [],
      explainedVariance: ev ? explainedVariance(ev, kept) : NaN,
    };
    stats.push(st);
    return st;
  };

  let inputs: ActivationStore;
  let qIn: QMatrix;
  let first: number;
  let spilled = 0;
  /** The last layer's shard while it is written (awaited before the next one starts, at a taken checkpoint, and before the head). */
  let written: Promise<void> = Promise.resolve();
  const rot = (q: QMatrix): Rotation => ({ q, n: D });

  const engine = o.engine ?? hostEngine(runner);
  const store = (name: string, width: number) => new ActivationStore({ name, width, dir: o.scratch, budget, device: engine.deviceSide() });

  if (o.resume) {
    inputs = o.resume.inputs;
    qIn = o.resume.q;
    first = o.resume.nextLayer;
  } else {
    // Q₀: PCA of the embedding outputs.
    const ts = now();
    progress('signals', null, 0);
    const sourceEmb = await source.embedding();
    const emb = fuseEmbedding(cfg, sourceEmb);
    const m0 = new SecondMoment(D);
    for (let b = 0; b < batches.length; b++) {
      checkCancelled(ctx);
      const e = await engine.embed(emb, batches[b].ids, batches[b].count, T);
      await engine.moment(m0, e, tokensOf(b), batches[b].keep);
      engine.release(e);
    }
    progress('pca', null, 0.3);
    await engine.settle(m0);
    const { q, eigenvalues } = await rotations('embedding', null, m0);
    const st = record('embedding', null, s.embedding, D, m0, eigenvalues);
    progress('rotate', null, 0.6, { explainedVariance: st.explainedVariance });
    const embOut = await rotateEmbedding(emb, rot(q), s.embedding);
    // A tied embedding is written as E and its factor (tied.ts); the passes go on with the product.
    await sink.embedding(storesTiedEmbedding(cfg, s.embedding, s.head) ? await tiedEmbedding(cfg, sourceEmb, rot(q), s.embedding) : embOut);
    // The first layer's inputs come from the sliced embeddings themselves.
    inputs = store('in-e', s.embedding);
    for (let b = 0; b < batches.length; b++) await inputs.put(b, await engine.embed(embOut, batches[b].ids, batches[b].count, T));
    await engine.endLayer();
    qIn = q;
    first = 0;
    const embTiming: LayerTiming = { layer: -1, signals: 0, pca: 0, rotate: now() - ts };
    timings.push(embTiming);
    const tc = now();
    if (o.onLayerDone) await o.onLayerDone({ nextLayer: 0, inputs, q: qIn, stats, timings });
    if (o.onLayerDone) embTiming.checkpoint = now() - tc;
  }

  // What no pass waits on runs beside the passes (which are awaited ORT runs, so the event loop is
  // free meanwhile): reading and fusing the next layer's weights (async file reads), and writing the
  // finished layer (async writes), awaited only before the layer's checkpoint.
  // Each load's wall seconds per part (LayerTiming.detail `weights.*`), kept with its promise.
  const loadTimes = new WeakMap<Promise<LayerWeights>, Record<string, number>>();
  // The prefetch's synchronous chunks wait while the PCA or the weight products await the GPU (base/quiet.ts);
  // SLICE_STUDIO_PREFETCH_YIELD=0 lets them run whenever they are ready (as before session 11).
  const quiet = new Quiet();
  const yieldToGpu = process.env.SLICE_STUDIO_PREFETCH_YIELD !== '0';
  const turn = () => (yieldToGpu ? quiet.turn() : Promise.resolve());
  const gpuSpan = <T>(f: () => Promise<T>): Promise<T> => (yieldToGpu ? quiet.during(f) : f());
  // Each 16-bit linear widened, folded and put in its float16 form on worker threads (prefetch-pool.ts): the main
  // thread's loop stays free for the passes' runs. SLICE_STUDIO_PREFETCH_WORKERS=0: all of it here, as before.
  const widen = prefetchHook();
  const load = (i: number) => {
    const t: Record<string, number> = {};
    let t0 = performance.now();
    const since = (k: string) => {
      const n = performance.now();
      t[k] = (n - t0) / 1000;
      t0 = n;
    };
    const p = source.layer(i, { turn, widen }).then(async (lw) => {
      since('weights.read');
      await turn();
      const fused = fuseLayer(cfg, lw);
      since('weights.fuse');
      await engine.prepare(lw, fused, turn);
      since('weights.prepare');
      return fused;
    });
    loadTimes.set(p, t);
    return p;
  };
  let upcoming: Promise<LayerWeights> | null = null;
  const prefetch = (o.prefetch ?? true) && process.env.SLICE_STUDIO_NO_PREFETCH !== '1';
  for (let i = first; i < L; i++) {
    checkCancelled(ctx);
    const dims = s.perLayer[i];
    const timing: LayerTiming = { layer: i, load: 0, signals: 0, pca: 0, rotate: 0 };
    // The phases' steps (timing.detail); the engine's own parts of a step nest under it.
    const laps = new Laps();
    engine.takeLaps?.();
    const step = async <T>(key: string, f: () => Promise<T>): Promise<T> => {
      const r = await laps.time(key, f);
      laps.under(key, engine.takeLaps?.());
      return r;
    };
    // A step's weight products: one device run, the prefetch held back meanwhile.
    const products = (b: WeightBatch) => gpuSpan(() => step('rotate.products', () => b.run()));
    let tm = now();
    // The event loop's stalls per phase, over the same spans as the phases' seconds.
    const loop: Record<string, number> = {};
    let lm = loopMark();
    const loopLap = (k: string) => {
      const l = loopSince(lm);
      loop[`loop.${k}.blocked`] = (loop[`loop.${k}.blocked`] ?? 0) + l.blocked;
      loop[`loop.${k}.maxStall`] = Math.max(loop[`loop.${k}.maxStall`] ?? 0, l.maxStall);
      loop[`loop.${k}.stalls`] = (loop[`loop.${k}.stalls`] ?? 0) + l.stalls;
      lm = loopMark();
    };
    const lap = (k: 'load' | 'signals' | 'pca' | 'rotate') => {
      const t = now();
      timing[k] += t - tm;
      tm = t;
      loopLap(k);
    };
    progress('signals', i, 0);
    const prefetched = upcoming !== null;
    const loading = upcoming ?? load(i);
    const w = await loading;
    upcoming = null;
    lap('load');
    const weightTimes = { ...loadTimes.get(loading), 'weights.prefetched': prefetched ? 1 : 0 };
    // Started once the first pass is queued (below), so its synchronous parts do not delay that pass.
    const startNext = () => {
      if (prefetch && !upcoming && i + 1 < L) upcoming = load(i + 1);
      // A failed read surfaces when the next layer awaits it; until then it must not count as unhandled.
      upcoming?.catch(() => {});
    };
    /**
     * One signal of this layer: `pass` over every batch, its second moment accumulated and each output kept
     * in `into`; then its PCA, recorded as `name` with `kept` of D directions (`at`: progress within the layer).
     */
    const signal = async (name: SignalName, kept: number, at: number, into: ActivationStore, pass: (b: number) => Promise<Activations>) => {
      const m = new SecondMoment(D);
      for (let b = 0; b < batches.length; b++) {
        checkCancelled(ctx);
        const y = await pass(b);
        await step('signals.moment', () => engine.moment(m, y, tokensOf(b), batches[b].keep));
        await laps.time('signals.store', () => into.put(b, y));
      }
      await step('signals.settle', () => engine.settle(m));
      lap('signals');
      progress('pca', i, at);
      // Each signal's PCA on its own (`pcaOf.<signal>`, and the loop held meanwhile): which of a layer's PCAs is slow.
      const pm = loopMark();
      const pc = await gpuSpan(() => rotations(name, i, m));
      loop[`pcaOf.${name}`] = (performance.now() - pm.at) / 1000;
      loop[`pcaOf.${name}.loopBlocked`] = loopSince(pm).blocked;
      laps.under('pca', pc.timings);
      const stat = laps.timeSync('pca.stats', () => record(name, i, kept, D, m, pc.eigenvalues));
      lap('pca');
      return { q: pc.q, stat };
    };
    const inRot = rot(qIn);
    let out: LayerWeights;
    let qOut: QMatrix;
    // The layer output (width D, not yet rotated by its own Q): one signal per batch.
    const outputs = store(`out-${i}`, D);

    if (w.kind === 'sequential') {
      if (dims.mlpInput !== dims.attnOutput) throw new Error(`layer ${i}: MLP input width ${dims.mlpInput} differs from the attention output width ${dims.attnOutput}`);
      const a = w.attn;
      // Each step's weight products are one batch (one device run): the readers of Q_in, the probe's shortcut,
      // and o_proj staged for the probe and for its own rotation after the PCA.
      const b1 = engine.batch();
      const readers = [a.q, a.k, a.v].map((l) => b1.reader(l, inRot, dims.attnInput));
      const probeShortcut = b1.probe(qIn, D, dims.attnInput);
      b1.stage(a.o);
      await products(b1);
      const attnIn = { q: await readers[0], k: await readers[1], v: await readers[2] };
      // The residual after attention in the un-rotated basis: shortcut Q_in[:, :d_in]ᵀ, o_proj as is.
      const probe: AttentionWeights = { norm: a.norm, ...attnIn, ...headNormsOf(a), o: a.o, shortcut: await probeShortcut };
      lap('rotate');
      const mids = store(`mid-${i}`, D);
      const mid = await signal('attention', dims.attnOutput, 0.25, mids, async (b) => {
        const h = await step('signals.attention', () => engine.attention(probe, inputs.feed(b), batches[b].count, T));
        startNext();
        return h;
      });
      progress('rotate', i, 0.35, { signal: 'attention', explainedVariance: mid.stat.explainedVariance });
      const midRot = rot(mid.q);
      const m = w.mlp;
      const b2 = engine.batch();
      const o = b2.writer(a.o, midRot, dims.attnOutput);
      const attnShortcut = b2.shortcut(qIn, mid.q, D, dims.attnInput, dims.attnOutput);
      const gate = m.gate ? b2.reader(m.gate, midRot, dims.mlpInput) : null;
      const up = b2.reader(m.up, midRot, dims.mlpInput);
      const mlpProbeShortcut = b2.probe(mid.q, D, dims.mlpInput);
      b2.stage(m.down);
      await products(b2);
      const attn: AttentionWeights = { norm: a.norm, ...attnIn, ...headNormsOf(a), o: await o, shortcut: await attnShortcut };
      const mlpIn = { ...(gate ? { gate: await gate } : {}), up: await up };
      const mlpProbe: MlpWeights = { norm: m.norm, ...mlpIn, down: m.down, shortcut: await mlpProbeShortcut };
      lap('rotate');
      progress('signals', i, 0.4);
      // The sliced attention's output is the residual rotated by Q_mid and cut to d: (h·Q_mid)[:, :d]
      // equals x·(Q_in[:, :d_in]ᵀ·Q_mid[:, :d]) + attn(x)·(W_oᵀ·Q_mid[:, :d]) — the sliced block — without
      // running attention again.
      const fin = await signal('mlp', dims.mlpOutput, 0.7, outputs, async (b) => {
        const hm = await step('signals.rotate', () => engine.rotate(mids.feed(b), batches[b].count, T, mid.q, D, dims.attnOutput));
        mids.drop(b);
        const y = await step('signals.mlp', () => engine.mlp(mlpProbe, hm, batches[b].count, T));
        engine.release(hm);
        return y;
      });
      mids.clear();
      qOut = fin.q;
      const b3 = engine.batch();
      const down = b3.writer(m.down, rot(qOut), dims.mlpOutput);
      const mlpShortcut = b3.shortcut(mid.q, qOut, D, dims.mlpInput, dims.mlpOutput);
      await products(b3);
      const mlp: MlpWeights = { norm: m.norm, ...mlpIn, down: await down, shortcut: await mlpShortcut };
      out = { kind: 'sequential', attn, mlp };
    } else {
      const blk = w.block;
      const b1 = engine.batch();
      const r = (l: typeof blk.attn.q) => b1.reader(l, inRot, dims.attnInput);
      const pending = { q: r(blk.attn.q), k: r(blk.attn.k), v: r(blk.attn.v), gate: blk.mlp.gate ? r(blk.mlp.gate) : null, up: r(blk.mlp.up) };
      const probeShortcut = b1.probe(qIn, D, dims.attnInput);
      b1.stage(blk.attn.o);
      b1.stage(blk.mlp.down);
      await products(b1);
      const readers = { q: await pending.q, k: await pending.k, v: await pending.v };
      const mlpIn = { ...(pending.gate ? { gate: await pending.gate } : {}), up: await pending.up };
      const probe: ParallelWeights = { norm: blk.norm, attn: { ...readers, o: blk.attn.o }, mlp: { ...mlpIn, down: blk.mlp.down }, shortcut: await probeShortcut };
      lap('rotate');
      const fin = await signal('block', dims.mlpOutput, 0.5, outputs, async (b) => {
        const y = await step('signals.block', () => engine.parallel(probe, inputs.feed(b), batches[b].count, T));
        startNext();
        return y;
      });
      qOut = fin.q;
      const outRot = rot(qOut);
      const b2 = engine.batch();
      const o = b2.writer(blk.attn.o, outRot, dims.mlpOutput);
      const down = b2.writer(blk.mlp.down, outRot, dims.mlpOutput);
      const shortcut = b2.shortcut(qIn, qOut, D, dims.attnInput, dims.mlpOutput);
      await products(b2);
      out = { kind: 'parallel', block: { norm: blk.norm, attn: { ...readers, o: await o }, mlp: { ...mlpIn, down: await down }, shortcut: await shortcut } };
    }
    progress('rotate', i, 0.8, { explainedVariance: stats[stats.length - 1].explainedVariance });
    // One shard in flight at a time, in layer order: the previous layer's has had this whole layer to finish.
    await laps.time('rotate.write', () => written);
    written = sink.layer(i, out);
    written.catch(() => {});
    // Next inputs: the layer output rotated by Q_out and sliced.
    const next = store(`in-${i}`, dims.mlpOutput);
    for (let b = 0; b < batches.length; b++) {
      checkCancelled(ctx);
      const y = await step('rotate.activations', () => engine.rotate(outputs.feed(b), batches[b].count, T, qOut, D, dims.mlpOutput));
      await laps.time('rotate.store', () => next.put(b, y));
      outputs.drop(b);
    }
    spilled += outputs.spilledChunks + inputs.spilledChunks;
    outputs.clear();
    inputs.clear();
    inputs = next;
    qIn = qOut;
    await step('rotate.endLayer', () => engine.endLayer());
    lap('rotate');
    timing.detail = { ...laps.take(), ...loop, ...weightTimes };
    timings.push(timing);
    progress('rotate', i, 1, { timing });
    const tc = now();
    if (o.onLayerDone) {
      await o.onLayerDone({ nextLayer: i + 1, inputs, q: qIn, stats, timings, written });
      timing.checkpoint = now() - tc;
      loopLap('checkpoint');
      for (const k of ['blocked', 'maxStall', 'stalls']) timing.detail[`loop.checkpoint.${k}`] = loop[`loop.checkpoint.${k}`];
    }
  }

  await written;
  const sourceHead = await source.head();
  const head = storesTiedEmbedding(cfg, s.embedding, s.head) ? await tiedHead(cfg, sourceHead, rot(qIn), s.head) : await rotateHead(fuseHead(cfg, sourceHead), rot(qIn), s.head);
  await sink.head(head);
  spilled += inputs.spilledChunks;
  inputs.clear();
  return { stats, timings, spilledChunks: spilled };
}
