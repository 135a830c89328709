// `npm run bench -- slice [flags]` — SliceGPT measurements, JSON on stdout.
//
// Protocol mode (default): for each shared model, the dense WikiText-2 test perplexity and, for each ratio,
// d and the perplexity of the sliced model, under the issue's protocol: calibration = the first 64 windows of
// 256 tokens of the bundled WikiText-2 validation split, round 8, head unsliced; perplexity per
// ../shared/models/README.md (seqlen 256, all test windows unless --windows N). Slices are written and read
// back in float32 (compute precision): the numbers measure SliceGPT, not float16 storage (slices of the app
// keep the source dtype; `--storage` adds each point's perplexity stored in the source dtype).
//   flags: --models a,b  --ratios 0.1,0.2  --windows N  --nsamples 64  --seqlen 256  --ep cpu  --models-dir DIR  --vram-gb G  --storage
//          --engine host|device  --pass-dtype f16|f32 (the device engine's passes; its default follows the EP)
//          --eval-ep E: also the perplexity of the dense model and of each slice on EP E (denseEvalEp, pplEvalEp), with
//          the same windows — slicing on --ep and evaluating on E splits a deviation between the passes and the evaluation
//   --pca-solver gpu|wgsl: every PCA through the ORT-graph GPU eigensolver (core/linalg/gpu-eigh.ts) on --ep, or the WGSL one
//   (core/linalg/wgsl-eigh.ts, needs the webgpu package and an adapter) — on the CPU EP the ORT graphs
//   its float32 graphs run there, which measures its perplexity effect against the float64 solver's results.
//
// Synthetic mode: `--synthetic llama-2-7b --layers 2 [--nsamples 128 --seqlen 2048 --ep cpu --engine host|device
// --pass-dtype f16|f32 --dtype float16|bfloat16|float32 --batch N --vram-gb 40 --weight-error --profile]` — random
// weights (rounded to --dtype, default the config's torch_dtype) with a published config's real shapes (../shared/data/configs/<name>*.json), sliced at --ratio
// (default 0.25) with the real algorithm; seconds per phase per layer, their mean, with two or more layers the steady
// state (steadySecondsPerLayer: layers ≥ 1, layer 0 also paying session creation and shader compilation once:
// firstLayerExtraSeconds) and the extrapolation to the config's full depth (embed + first + (L−1)·steady), plus peak RSS. --profile: seconds per engine call, and per layer the session runs and host↔device
// megabytes as a GPU EP moves them (core/runtime/transfer-count.ts; counted on the CPU EP too). --weight-error: layer 0's rotated weights and shortcuts from the engine against
// float64 products of the same weights and rotations (rotation-error.ts). --prefetch: read the next layer during the
// passes as the app does (off for random weights, whose generation is synchronous work), for its peak RSS.
//
// The real pipeline's conditions, one at a time (issue #11: its PCA ran 4–7× slower than this bench's), for bisecting:
//   --source-folder DIR   slice a model folder (e.g. a `synth` one; its first --layers layers, default all) through
//                         the same per-layer code instead of random weights (prefetch then on, as in the app);
//                         --cal wikitext2: its calibration windows as sliceModel takes them (default random ids)
//   --checkpoint          the per-layer checkpoint as sliceModel writes it (CheckpointQueue: taken at each boundary,
//                         committed beside the next layer with the device engine), under a scratch folder
//   --write DIR           the sliced layers written by the app's writer (SlicedModelWriter) into DIR
//   --no-prefetch         the next layer's weights read when it starts (SLICE_STUDIO_NO_PREFETCH=1 does the same in
//                         the app); --vram-gb / --ram-gb / --batch as the app's (4 / 4 / 4096÷seqlen) reproduce its budgets
//   --timings-jsonl FILE  each layer's LayerTiming appended as it finishes (a run cut short keeps its layers)
// Per layer, LayerTiming.detail's `loop.<phase>.*` say how long the event loop was held in each phase and
// `pca.eigh.*.blocked` how much of the WGSL solver's waits on the device (core/base/loop-delay.ts).
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openModel } from '../core/model/source';
import { loadTokenizer } from '../core/model/tokenizer';
import { wikitext2 } from '../core/data/wikitext2';
import { perplexityOfIds } from '../core/runtime/perplexity';
import ort from 'onnxruntime-node';
import { createBlockRunner, type OrtRunner } from '../core/runtime/runner';
import type { ExecutionProvider } from '../core/runtime/contract';
import { quietContext, type JobContext } from '../core/base/job-context';
import { stderrContext } from './lib/stderr-context';
import { sliceModel } from '../core/slicegpt/slice-model';
import { openAnyModel } from '../core/slicegpt/open';
import { loadCalibration } from '../core/slicegpt/calibration-input';
import { SyntheticSource } from '../core/slicegpt/synthetic-source';
import { rotateAndSlice } from '../core/slicegpt/rotate-and-slice';
import { makeSchedule } from '../core/slicegpt/schedule';
import { createSignalEngine, type EngineKind, type SignalEngine } from '../core/slicegpt/engine';
import { principalDirections } from '../core/slicegpt/pca';
import { closeWgslDevice } from '../core/linalg/wgsl-device';
import type { RotationProvider } from '../core/slicegpt/rotate-and-slice';
import { flags } from './lib/flags';
import type { PassDtype } from '../core/runtime/runner';
import type { Linear, Matrix } from '../core/model/weights';
import { rotateReader, rotateWriter } from '../core/slicegpt/rotate';
import { shortcutMatrix } from '../core/slicegpt/products';
import { rotationError, storedError, type RotationError, type StoredError } from '../core/slicegpt/rotation-error';
import { gemm } from '../core/linalg/matmul';
import { leadingColumns } from '../core/slicegpt/products';
import type { QMatrix } from '../core/slicegpt/q-matrix';
import type { Rotation } from '../core/slicegpt/rotate';
import type { ModelSource } from '../core/model/model-source';
import type { OutputDtype } from '../core/slicegpt/output';
import { sourceDtype } from '../core/slicegpt/output-size';
import { SHARED_MODELS, sharedData } from '../test/shared';
import { takeTransferCounts, type TransferCounts, type TransferTally } from '../core/runtime/transfer-count';
import { meanLaps } from '../core/base/laps';
import { SlicedModelWriter } from '../core/slicegpt/output';
import { Checkpoint } from '../core/slicegpt/checkpoint';
import { CheckpointQueue } from '../core/slicegpt/checkpoint-queue';
import type { LayerTiming, SlicedSink } from '../core/slicegpt/rotate-and-slice';

const stderrCtx = () => stderrContext();

async function protocol(f: Map<string, string>): Promise<void> {
  const modelsDir = resolve(f.get('models-dir') ?? SHARED_MODELS);
  const models = (f.get('models') ?? 'tiny-llama,tiny-opt,tiny-phi,tiny-stories').split(',');
  const ratios = (f.get('ratios') ?? '0.1,0.2,0.25,0.3,0.5').split(',').map(Number);
  const nsamples = Number(f.get('nsamples') ?? 64);
  const seqlen = Number(f.get('seqlen') ?? 256);
  const maxWindows = f.has('windows') ? Number(f.get('windows')) : undefined;
  const ep = (f.get('ep') ?? 'cpu') as ExecutionProvider;
  const evalEp = f.get('eval-ep') as ExecutionProvider | undefined;
  // --vram-gb: the device engine's activation budget (tiny values force the spill-to-host path).
  const vramBytes = f.has('vram-gb') ? Number(f.get('vram-gb')) * 2 ** 30 : undefined;
  const engineFlags = { ...(f.has('engine') ? { engine: f.get('engine') as EngineKind } : {}), ...(f.has('pass-dtype') ? { passDtype: f.get('pass-dtype') as PassDtype } : {}) };
  const gpuPca = f.get('pca-solver') === 'gpu' || f.get('pca-solver') === 'wgsl';
  const pcaSolver = f.get('pca-solver') === 'wgsl' ? 'wgsl' : { gpu: ep };
  const rotations: RotationProvider | undefined = gpuPca ? async (_s, _l, m) => principalDirections(m, pcaSolver).then((r) => ({ q: r.q, eigenvalues: r.eigenvalues })) : undefined;
  const rows = (await wikitext2('test')).rows;
  const report: Record<string, unknown> = {
    protocol: {
      calibration: 'wikitext2 validation (bundled, tokenized release)',
      nsamples,
      seqlen,
      sampling: 'first',
      round: 8,
      sliceHead: false,
      evalSeqLen: 256,
      maxWindows: maxWindows ?? 'all',
      ep,
      ...(evalEp ? { evalEp } : {}),
      ...engineFlags,
      ...(gpuPca ? { pcaSolver: pcaSolver === 'wgsl' ? 'wgsl-eigh (float32 WGSL)' : 'gpu-eigh (float32 graphs)' } : {}),
    },
    models: {},
  };
  for (const name of models) {
    const folder = join(modelsDir, name);
    const t0 = performance.now();
    const ids = (await loadTokenizer(folder)).encodeCorpus(rows, '\n\n');
    const tokenizeSeconds = (performance.now() - t0) / 1000;
    const dense = await openModel(folder);
    const runner = await createBlockRunner(dense.arch, { ep });
    const denseR = await perplexityOfIds(dense, runner, ids, { seqLen: 256, maxWindows, batch: 16 });
    const evalRunner = evalEp ? await createBlockRunner(dense.arch, { ep: evalEp }) : undefined;
    const denseEval = evalRunner ? await perplexityOfIds(dense, evalRunner, ids, { seqLen: 256, maxWindows, batch: 16 }) : undefined;
    const calibration = await loadCalibration(folder, { cal: 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0 });
    const dir = mkdtempSync(join(tmpdir(), `bench-slice-${name}-`));
    const points = [];
    try {
      for (const ratio of ratios) {
        const out = join(dir, String(ratio));
        const s = await sliceModel(stderrCtx(), {
          model: folder,
          ratio,
          cal: 'wikitext2',
          nsamples,
          seqlen,
          sampling: 'first',
          seed: 0,
          round: 8,
          sliceHead: false,
          out,
          ep,
          resume: false,
          calibration,
          dtype: 'float32',
          ...(vramBytes ? { deviceBudgetBytes: vramBytes } : {}),
          ...(rotations ? { rotations } : {}),
          ...engineFlags,
        });
        const r = await perplexityOfIds(await openAnyModel(out), runner, ids, { seqLen: 256, maxWindows, batch: 16 });
        const point: Record<string, unknown> = { ratio, d: s.d, ppl: r.ppl, sliceSeconds: +s.seconds.toFixed(2), pplSeconds: +r.seconds.toFixed(2) };
        if (evalRunner) point.pplEvalEp = (await perplexityOfIds(await openAnyModel(out), evalRunner, ids, { seqLen: 256, maxWindows, batch: 16 })).ppl;
        if (f.has('storage')) {
          // The same slice as the app writes it (source dtype, shortcuts included), on the same windows.
          const stored = join(dir, `${ratio}-stored`);
          const t = await sliceModel(stderrCtx(), { model: folder, ratio, cal: 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0, round: 8, sliceHead: false, out: stored, ep, resume: false, calibration });
          const rs = await perplexityOfIds(await openAnyModel(stored), runner, ids, { seqLen: 256, maxWindows, batch: 16 });
          Object.assign(point, { storedDtype: t.dtype, pplStored: rs.ppl, storedRelativeChange: rs.ppl / r.ppl - 1 });
          rmSync(stored, { recursive: true, force: true });
        }
        points.push(point);
        process.stderr.write(`${name} ratio ${ratio}: d ${s.d} ppl ${r.ppl.toFixed(3)}${evalRunner ? ` (on ${evalEp}: ${(point.pplEvalEp as number).toFixed(3)})` : ''}\n`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await runner.dispose();
      await evalRunner?.dispose();
    }
    (report.models as Record<string, unknown>)[name] = {
      hiddenSize: dense.config.hiddenSize,
      dense: denseR.ppl,
      ...(denseEval ? { denseEvalEp: denseEval.ppl } : {}),
      windows: denseR.windows,
      tokenizeSeconds: +tokenizeSeconds.toFixed(2),
      sliced: points,
    };
  }
  console.log(JSON.stringify(report, null, 2));
}

async function synthetic(f: Map<string, string>): Promise<void> {
  const name = f.get('synthetic') ?? '';
  const nsamples = Number(f.get('nsamples') ?? 128);
  const seqlen = Number(f.get('seqlen') ?? 2048);
  const ratio = Number(f.get('ratio') ?? 0.25);
  const ep = (f.get('ep') ?? 'cpu') as ExecutionProvider;
  // `--synthetic model:NAME`: a shared model's own weights (its first --layers layers) in place of random ones.
  let src: ModelSource;
  let file: string;
  let fullLayers: number;
  let layers: number;
  let dtype: OutputDtype;
  // A model folder's own weights: `--synthetic model:NAME` (a shared model) or `--source-folder DIR`.
  const folder = f.has('source-folder') ? resolve(f.get('source-folder')!) : name.startsWith('model:') ? resolve(f.get('models-dir') ?? SHARED_MODELS, name.slice(6)) : null;
  if (folder) {
    src = await openModel(folder);
    file = f.has('source-folder') ? `folder:${folder}` : name;
    fullLayers = src.config.numLayers;
    layers = Number(f.get('layers') ?? fullLayers);
    dtype = (f.get('dtype') as OutputDtype | undefined) ?? sourceDtype(folder);
  } else {
    const dir = resolve(f.get('configs-dir') ?? sharedData('configs'));
    const found = readdirSync(dir).find((x) => x.startsWith(name) && x.endsWith('.json'));
    if (!found) throw new Error(`no config ${name}*.json in ${dir}`);
    file = found;
    const raw = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>;
    fullLayers = Number(raw.num_hidden_layers);
    layers = Number(f.get('layers') ?? 2);
    // --dtype float16|bfloat16|float32 (default: the config's torch_dtype): weights rounded as such a checkpoint
    // stores them, and the slice stored so (what decides the device engine's float16 uploads and downloads).
    const torchDtype = raw.torch_dtype === 'float16' || raw.torch_dtype === 'bfloat16' ? raw.torch_dtype : 'float32';
    dtype = (f.get('dtype') as OutputDtype | undefined) ?? torchDtype;
    src = new SyntheticSource({ ...raw, num_hidden_layers: layers }, 1, { dtype });
  }
  const cfg = src.config;
  // Random token ids: the algorithm's cost does not depend on what the tokens are (the spectrum a little does:
  // --cal wikitext2 takes a folder's calibration windows as sliceModel does).
  let s = 1;
  const cal = f.get('cal');
  if (cal && !folder) throw new Error('--cal needs a model folder (--source-folder or --synthetic model:NAME)');
  const ids = cal ? (await loadCalibration(folder!, { cal: cal as 'wikitext2', nsamples, seqlen, sampling: 'first', seed: 0 })).ids : Int32Array.from({ length: nsamples * seqlen }, () => ((s = (s * 1664525 + 1013904223) >>> 0), s % cfg.vocabSize));
  const scratch = mkdtempSync(join(tmpdir(), 'bench-slice-syn-'));
  // The device engine keeps activations on the GPU (the default on GPU EPs); --engine host forces float64 host products.
  const {
    kind: engineKind,
    passDtype,
    runner,
    engine,
  } = await createSignalEngine(src.arch, ep, {
    kind: f.get('engine') as EngineKind | undefined,
    deviceBudgetBytes: Number(f.get('vram-gb') ?? 40) * 2 ** 30,
    passDtype: f.get('pass-dtype') as PassDtype | undefined,
    storeDtype: dtype,
  });
  // --weight-error: the first layer's weight products, kept with their inputs.
  const captured: Captured[] = [];
  const measured = f.has('weight-error') ? capturing(engine, captured) : engine;
  const batchSize = Number(f.get('batch') ?? (engineKind === 'device' ? Math.max(1, Math.floor(16384 / seqlen)) : Math.max(1, Math.floor(4096 / seqlen))));
  // --profile: seconds per engine call, device work waited for after each call (slower overall, but
  // attributes the queued GPU time to the call that queued it).
  const profile: Record<string, number> | null = f.has('profile') ? {} : null;
  // and the session runs and host↔device bytes per layer, as a GPU EP moves them (counted on any EP).
  const transfers: TransferCounts[] = [];
  takeTransferCounts();
  const t0 = performance.now();
  let rss = 0;
  const jsonl = f.get('timings-jsonl');
  const ctx: JobContext = {
    ...quietContext(),
    progress: (p) => {
      rss = Math.max(rss, process.memoryUsage().rss);
      const timing = p.data?.timing as LayerTiming | undefined;
      if (jsonl && timing) appendFileSync(jsonl, `${JSON.stringify(timing)}\n`);
    },
  };
  const ramBudgetBytes = Number(f.get('ram-gb') ?? 48) * 2 ** 30;
  // The random weights are generated synchronously: prefetching them would only move that work into the passes
  // (--prefetch: do it anyway, to measure what holding the next layer adds to peak RSS); a folder's are read as the app does.
  const prefetch = !f.has('no-prefetch') && (folder !== null || f.has('prefetch'));
  // The app's writer and checkpoint (slice-model.ts), when asked for.
  const writeDir = f.has('write') ? resolve(f.get('write')!) : null;
  const writer = writeDir ? (mkdirSync(writeDir, { recursive: true }), new SlicedModelWriter(writeDir, cfg, dtype)) : null;
  const sink: SlicedSink = writer ? { embedding: (e) => writer.writeEmbedding(e), layer: (i, w) => writer.writeLayer(i, w), head: (h) => writer.writeHead(h) } : { embedding: async () => {}, layer: async () => {}, head: async () => {} };
  const checkpoint = f.has('checkpoint') ? new Checkpoint(scratch, 'bench') : null;
  const saves = checkpoint ? new CheckpointQueue(checkpoint, { background: engineKind === 'device', maxBackgroundBytes: ramBudgetBytes }) : null;
  const conditions = {
    source: folder ? (f.has('source-folder') ? 'folder' : 'shared model') : 'random weights',
    calibration: cal ?? 'random ids',
    // what rotate-and-slice does: SLICE_STUDIO_NO_PREFETCH=1 turns it off too
    prefetch: prefetch && process.env.SLICE_STUDIO_NO_PREFETCH !== '1',
    noPrefetchEnv: process.env.SLICE_STUDIO_NO_PREFETCH === '1',
    checkpoint: !!saves,
    write: !!writer,
    vramGb: Number(f.get('vram-gb') ?? 40),
    ramGb: ramBudgetBytes / 2 ** 30,
    eigh: process.env.SLICE_STUDIO_EIGH ?? 'default',
  };
  try {
    const r = await rotateAndSlice(ctx, {
      source: src,
      runner,
      calibration: { ids, nsamples, seqlen },
      schedule: makeSchedule({ hiddenSize: cfg.hiddenSize, layers, parallelBlocks: cfg.parallelBlocks, ratio, sliceHead: false }),
      sink,
      prefetch,
      batchSize,
      scratch,
      ramBudgetBytes,
      engine: profile ? profiled(measured, runner, profile, transfers) : measured,
      ...(saves ? { onLayerDone: (b) => saves.save(b) } : {}),
    });
    await saves?.flush();
    const perLayer = r.timings.filter((t) => t.layer >= 0);
    // 'load' is reading + fusing the layer's weights: here random numbers generated in JS (~1.5 s for a
    // 7B layer), which a real safetensors shard does not cost; reported, and left out of the total.
    const phaseMeans = (ts: typeof perLayer) => {
      const avg = (k: 'load' | 'signals' | 'pca' | 'rotate' | 'checkpoint') => ts.reduce((a, t) => a + (t[k] ?? 0), 0) / ts.length;
      const total = avg('signals') + avg('pca') + avg('rotate');
      // the checkpoint wait (--checkpoint) is reported beside the phases, not in their total
      const ckpt = saves ? { checkpoint: +avg('checkpoint').toFixed(3) } : {};
      return { total, rounded: { load: +avg('load').toFixed(3), signals: +avg('signals').toFixed(3), pca: +avg('pca').toFixed(3), rotate: +avg('rotate').toFixed(3), total: +total.toFixed(3), ...ckpt } };
    };
    const mean = phaseMeans(perLayer);
    // Layer 0 also pays the one-time costs (ORT sessions created, WebGPU shaders compiled) that a whole model pays
    // once: the steady state is the mean over the later layers, and the full depth extrapolates as
    // embed + first + (L−1)·steady (embed + L·mean with one layer).
    const steady = perLayer.length >= 2 ? phaseMeans(perLayer.slice(1)) : undefined;
    const first = phaseMeans(perLayer.slice(0, 1)).total;
    const embed = r.timings.find((t) => t.layer === -1)?.rotate ?? 0;
    const fullSeconds = embed + (steady ? first + steady.total * (fullLayers - 1) : mean.total * fullLayers);
    const weightError = captured.length ? await rotationErrors(captured, dtype) : undefined;
    console.log(
      JSON.stringify(
        {
          synthetic: file,
          ep,
          engine: engineKind,
          passDtype,
          dtype,
          batchSize,
          layers,
          nsamples,
          seqlen,
          tokens: nsamples * seqlen,
          ratio,
          hiddenSize: cfg.hiddenSize,
          conditions,
          perLayer: r.timings,
          meanSecondsPerLayer: mean.rounded,
          // Layers ≥ 1 (with two or more): the per-layer cost once the one-time compile is paid, and what layer 0 paid on top.
          ...(steady ? { steadySecondsPerLayer: steady.rounded, firstLayerExtraSeconds: +(first - steady.total).toFixed(3) } : {}),
          // Each phase's steps (LayerTiming.detail, laps.ts): `phase.step` add up to the phase, deeper names split their step.
          meanDetailPerLayer: meanLaps(perLayer.map((t) => t.detail)),
          // embed added in both cases
          extrapolation: steady ? 'first + (L-1)·steady' : 'mean·L',
          extrapolated: { layers: fullLayers, seconds: +fullSeconds.toFixed(1), minutes: +(fullSeconds / 60).toFixed(2) },
          ...(profile ? { engineSeconds: Object.fromEntries(Object.entries(profile).map(([k, v]) => [k, +v.toFixed(3)])), transfers: transferReport(transfers) } : {}),
          wallSeconds: +((performance.now() - t0) / 1000).toFixed(2),
          spilledChunks: r.spilledChunks,
          ...(weightError ? { weightError } : {}),
          peakRssBytes: Math.max(rss, process.resourceUsage().maxRSS * 1024),
        },
        null,
        2,
      ),
    );
  } finally {
    // A checkpoint still being committed writes into the scratch folder: done before it goes.
    await saves?.flush().catch(() => {});
    await engine.close().finally(() => runner.dispose());
    // The WGSL eigensolver's Dawn device (SLICE_STUDIO_EIGH=gpu) would keep Node running.
    await closeWgslDevice();
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface Captured {
  name: string;
  got: Matrix;
  /** The float64 product, rounded to float32 (rotate.ts, products.ts: what the host engine stores). */
  exact: () => Promise<Matrix>;
  /** The float64 product itself. */
  exact64: () => Promise<Float64Array>;
}

const widen = (x: Float32Array) => Float64Array.from(x);

/**
 * The engine, keeping its first layer's weight products (7 rotated linears of a LLaMA block, 2 shortcuts)
 * with a way to recompute each in float64 on the host (rotate.ts, products.ts), single calls and batches alike.
 */
function capturing(e: SignalEngine, out: Captured[]): SignalEngine {
  const names = ['q', 'k', 'v', 'o', 'gate', 'up', 'down'];
  let linears = 0;
  let shortcuts = 0;
  const reader = (lin: Linear, r: Rotation, keep: number, p: Promise<Linear>) => {
    if (linears < names.length) {
      const name = names[linears++];
      p.then((y) => out.push({ name, got: y.weight, exact: async () => (await rotateReader(lin, r, keep)).weight, exact64: () => gemm(widen(lin.weight.data), leadingColumns(r.q, r.n, keep), lin.weight.rows, r.n, keep) })).catch(() => {});
    }
    return p;
  };
  const writer = (lin: Linear, r: Rotation, keep: number, p: Promise<Linear>) => {
    if (linears < names.length) {
      const name = names[linears++];
      p.then((y) => out.push({ name, got: y.weight, exact: async () => (await rotateWriter(lin, r, keep)).weight, exact64: () => gemm(leadingColumns(r.q, r.n, keep), widen(lin.weight.data), keep, r.n, lin.weight.cols, { transA: true }) })).catch(
        () => {},
      );
    }
    return p;
  };
  const shortcut = (qa: QMatrix, qb: QMatrix, n: number, ka: number, kb: number, p: Promise<Matrix>) => {
    if (shortcuts < 2) {
      const name = ['attnShortcut', 'mlpShortcut'][shortcuts++];
      p.then((got) => out.push({ name, got, exact: () => shortcutMatrix(qa, qb, n, ka, kb), exact64: () => gemm(leadingColumns(qa, n, ka), leadingColumns(qb, n, kb), ka, n, kb, { transA: true }) })).catch(() => {});
    }
    return p;
  };
  return {
    ...e,
    rotateReader: (lin, r, keep) => reader(lin, r, keep, e.rotateReader(lin, r, keep)),
    rotateWriter: (lin, r, keep) => writer(lin, r, keep, e.rotateWriter(lin, r, keep)),
    shortcut: (qa, qb, n, ka, kb) => shortcut(qa, qb, n, ka, kb, e.shortcut(qa, qb, n, ka, kb)),
    batch() {
      const b = e.batch();
      return {
        ...b,
        reader: (lin, r, keep) => reader(lin, r, keep, b.reader(lin, r, keep)),
        writer: (lin, r, keep) => writer(lin, r, keep, b.writer(lin, r, keep)),
        shortcut: (qa, qb, n, ka, kb) => shortcut(qa, qb, n, ka, kb, b.shortcut(qa, qb, n, ka, kb)),
      };
    },
  };
}

/**
 * Per captured product: the engine's result against the float64 product rounded to float32 (rotation-error.ts
 * rotationError), and — for a float16/bfloat16 slice — what the slice stores against the float64 product itself,
 * beside that format's own rounding, in its ulps (storedError).
 */
async function rotationErrors(captured: Captured[], dtype: OutputDtype): Promise<Record<string, RotationError & { stored?: StoredError }>> {
  const out: Record<string, RotationError & { stored?: StoredError }> = {};
  for (const c of captured) {
    out[c.name] = rotationError(c.got.data, (await c.exact()).data);
    if (dtype !== 'float32') out[c.name].stored = storedError(c.got.data, await c.exact64(), dtype);
  }
  return out;
}

/** Per layer (the embeddings first): session runs and MB up/down, in total and by kind of run. */
function transferReport(perLayer: TransferCounts[]) {
  const mb = (b: number) => +(b / 1e6).toFixed(1);
  const row = (t: TransferTally) => ({ runs: t.runs, uploadMB: mb(t.uploadBytes), downloadMB: mb(t.downloadBytes) });
  return perLayer.map((c, i) => ({
    layer: i - 1,
    ...row(c),
    byKind: Object.fromEntries(
      Object.entries(c.byKind)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, t]) => [k, row(t)]),
    ),
  }));
}

function profiled(e: SignalEngine, runner: OrtRunner, acc: Record<string, number>, transfers: TransferCounts[]): SignalEngine {
  const wrap =
    <A extends unknown[], R>(name: string, fn: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      const r = await fn(...a);
      if (r instanceof ort.Tensor) await runner.device?.sync(r);
      acc[name] = (acc[name] ?? 0) + (performance.now() - t) / 1000;
      return r;
    };
  return {
    ...e,
    embed: wrap('embed', e.embed),
    attention: wrap('attention', e.attention),
    mlp: wrap('mlp', e.mlp),
    parallel: wrap('parallel', e.parallel),
    moment: wrap('moment', e.moment),
    rotate: wrap('rotate', e.rotate),
    endLayer: async () => {
      await wrap('endLayer', e.endLayer)();
      transfers.push(takeTransferCounts());
    },
  };
}

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  if (f.has('synthetic') || f.has('source-folder')) return synthetic(f);
  return protocol(f);
}
