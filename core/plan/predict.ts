// What a slice will cost before it starts: wall time, peak RAM, peak VRAM and disk, for a model, ratio,
// calibration size and machine. Time comes from measured tables (measured.ts: per-layer seconds of each
// phase on a few machines), scaled to the model by each phase's work:
//   load    ∝ layer parameters                    (read + convert + fuse)
//   signals ∝ tokens · (2·layer params + 4·seqlen·heads·head dim)   (the forward passes' flops)
//   pca     ∝ signals per layer · D³               (the eigendecompositions dominate; from the points of the
//                                                    same eigensolver: WGSL on a GPU EP, float64 on the CPU)
//   rotate  ∝ D · layer parameters                 (float64 weight rotations)
//   embedding rotation ∝ vocabulary · D²
// With two measured shapes a phase is interpolated on a log-log line through them (it captures that bigger
// GEMMs run more efficiently); with one, linearly; points of one shape count as their mean. No phase goes below the per-call overheads measured on a
// tiny model (measured.ts FLOOR). CPU-bound phases scale with the core count when this
// machine has a different one. Memory and disk are modelled from the shapes (memory.ts's terms), the peak
// RSS with a per-profile allowance for what the model leaves out (copies of a layer's weights in flight),
// fitted to the measured peak.
import type { ModelConfig } from '../model/config';
import { countParams, denseShapes, slicedShapes } from './params';
import { FLOOR, PROFILES, type HardwareProfile, type MeasuredPoint, type MeasuredShape } from './measured';
import { formatBytes } from './hardware';
import { DEFAULT_DEVICE_BUDGET_BYTES, DEFAULT_RAM_BUDGET_BYTES } from './budget-defaults';
import { pcaRam, SLICING_RUNTIME_BYTES } from './memory';

export interface PredictInput {
  ratio: number;
  nsamples: number;
  seqlen: number;
  /** 'cpu' or a GPU execution provider. */
  ep: string;
  /** CPU cores of the machine that will slice (default: the profile's). */
  cores?: number;
  /** GPU EPs: bytes of activations kept on the GPU (default 4 GiB, as sliceModel's; the slice job's default is `defaultDeviceBudget`). */
  deviceBudgetBytes?: number;
  /** Calibration windows per pass (default: as the slicer, 4096 tokens' worth). */
  batchSize?: number;
  /** Activations above this many bytes in RAM spill to disk (default 4 GiB, as the slicer's). */
  ramBudgetBytes?: number;
  /** Bytes per weight of the written model (default 4: float32). */
  outputBytesPerWeight?: number;
  round?: number;
  rotation?: 'per-layer' | 'uniform';
  /** The PCA's eigensolver (pca-solver.ts): default 'wgsl' on a GPU EP (the device engine's default), 'float64' on the CPU EP. */
  pcaSolver?: 'wgsl' | 'float64';
}

export interface PhaseSeconds {
  load: number;
  signals: number;
  pca: number;
  rotate: number;
  total: number;
}

/** Where a predicted number comes from: a measured table scaled to the model, a measurement of this machine, or a rule. */
export interface PredictionOrigin {
  kind: 'measured-table' | 'built-in-measurement' | 'rule';
  /** In words: what was measured where, and how it was carried over to this model. */
  detail: string;
  /** Result files (or issue) of the measurements used; empty for a rule. */
  sources: string[];
}

/** The peak VRAM's parts, for a refusal that says what to lower. */
export interface VramParts {
  /** Activations kept on the GPU: all of them, or the device budget (--vram-gb) where they are more. */
  activationsBytes: number;
  /** One layer's float32 weights. */
  weightsBytes: number;
  /** Attention and MLP intermediates of one batch of windows, plus 512 MiB of runtime. */
  workingBytes: number;
  /** What the model leaves out (ORT's cached buffers, copies in flight): a multiple of weights + working, fitted to the measured peak. */
  allowanceBytes: number;
}

export interface SlicePrediction {
  profile: { id: string; description: string; sources: string[] };
  perLayer: PhaseSeconds;
  embeddingSeconds: number;
  layers: number;
  /** Embeddings + head + every layer. */
  totalSeconds: number;
  peakRamBytes: number;
  /** null on the CPU EP. */
  peakVramBytes: number | null;
  /** The parts of peakVramBytes (null on the CPU EP). */
  vram: VramParts | null;
  /** Where each prediction comes from. */
  origins: { time: PredictionOrigin; peakRam: PredictionOrigin; peakVram: PredictionOrigin | null; disk: PredictionOrigin };
  disk: { outputBytes: number; checkpointBytes: number; spillBytes: number; totalBytes: number };
  /** How the numbers were made, in words. */
  basis: string[];
}

const GiB = 2 ** 30;

/**
 * Bytes of activations the slice job keeps on the GPU when --vram-gb is not given: half the largest GPU's
 * memory (half again for unified memory, which the system shares), or 4 GiB when no GPU is known.
 * The slice job and the planner both call this, so a plan predicts the run that `slice` starts.
 */
export function defaultDeviceBudget(gpus: { totalBytes: number; unifiedMemory?: boolean }[]): number {
  const largest = Math.max(0, ...gpus.map((g) => (g.unifiedMemory ? g.totalBytes / 2 : g.totalBytes)));
  return largest > 0 ? largest / 2 : DEFAULT_DEVICE_BUDGET_BYTES;
}

/** VRAM the device engine's model accounts for, without the fitted allowance. */
function modelledVram(s: { hiddenSize: number; layerParams: number; numHeads: number; intermediateSize: number; nsamples: number; seqlen: number }, deviceBudget: number, batchSize?: number): Omit<VramParts, 'allowanceBytes'> {
  const activations = 2 * s.nsamples * s.seqlen * s.hiddenSize * 4;
  const batch = batchSize ?? Math.max(1, Math.floor(4096 / s.seqlen));
  return {
    activationsBytes: Math.min(activations, deviceBudget),
    weightsBytes: s.layerParams * 4,
    workingBytes: batch * (s.numHeads * s.seqlen ** 2 * 4 * 2 + s.seqlen * s.intermediateSize * 4 * 3) + 512 * 2 ** 20,
  };
}
const vramSum = (v: Omit<VramParts, 'allowanceBytes'>) => v.activationsBytes + v.weightsBytes + v.workingBytes;

function shapeOf(c: ModelConfig, nsamples: number, seqlen: number): MeasuredShape & { layers: number } {
  const dense = denseShapes(c);
  const perLayer = countParams(dense).perLayer;
  return { hiddenSize: c.hiddenSize, layerParams: Math.max(...perLayer, 0), qOut: c.numHeads * c.headDim, vocabSize: c.vocabSize, nsamples, seqlen, layers: c.numLayers };
}

type Phase = 'load' | 'signals' | 'pca' | 'rotate';

/** The work a phase does for one layer of a shape (only ratios of these matter). */
function work(phase: Phase | 'embedding', s: MeasuredShape, signalsPerLayer = 2): number {
  const tokens = s.nsamples * s.seqlen;
  switch (phase) {
    case 'load':
      return s.layerParams;
    case 'signals':
      return tokens * (2 * s.layerParams + 4 * s.seqlen * s.qOut);
    case 'pca':
      return signalsPerLayer * s.hiddenSize ** 3;
    case 'rotate':
      return s.hiddenSize * s.layerParams;
    case 'embedding':
      return s.vocabSize * s.hiddenSize ** 2;
  }
}

/** Seconds of a phase at work `w`, from the measured points that have it (points of equal work: their mean). */
function scale(points: { w: number; t: number }[], w: number): number {
  if (points.length === 0) return 0;
  const byWork = new Map<number, number[]>();
  for (const p of points) byWork.set(p.w, [...(byWork.get(p.w) ?? []), p.t]);
  const ps = [...byWork].map(([pw, ts]) => ({ w: pw, t: ts.reduce((a, b) => a + b, 0) / ts.length })).sort((a, b) => a.w - b.w);
  if (ps.length === 1 || ps[0].w === ps[ps.length - 1].w) return (ps[0].t * w) / ps[0].w;
  // the two points bracketing w (or the nearest two at either end)
  let i = 0;
  while (i < ps.length - 2 && ps[i + 1].w < w) i++;
  const a = ps[i];
  const b = ps[i + 1];
  const slope = Math.log(b.t / a.t) / Math.log(b.w / a.w);
  return a.t * (w / a.w) ** slope;
}

export function chooseProfile(ep: string, cores?: number): HardwareProfile {
  if (ep !== 'cpu') return PROFILES.find((p) => p.id === 'h100-webgpu')!;
  // the host profile measured on the closest core count
  const host = PROFILES.filter((p) => p.ep === 'cpu');
  const c = cores ?? host[0].cores;
  return host.reduce((best, p) => (Math.abs(Math.log(p.cores / c)) < Math.abs(Math.log(best.cores / c)) ? p : best));
}

/** Bytes of the calibration activations kept in RAM: past the GPU's budget on the device engine, up to the RAM budget. */
function activationsInRam(s: MeasuredShape, engine: 'device' | 'host', deviceBudget: number, ramBudget: number): number {
  const activations = 2 * s.nsamples * s.seqlen * s.hiddenSize * 4;
  return Math.min(ramBudget, Math.max(0, activations - (engine === 'device' ? deviceBudget : 0)));
}

/** Bytes of RAM the model of the job accounts for (activations in RAM, weights in flight, PCA, runtime). */
function modelledRam(s: MeasuredShape, engine: 'device' | 'host', embeddingParams: number, deviceBudget: number, ramBudget: number): number {
  const inRam = activationsInRam(s, engine, deviceBudget, ramBudget);
  // two layers (the one being rotated and the prefetched next one) in float32, and on the device engine their
  // float16 forms for the uploads (half-weights.ts)
  const weights = Math.max(2 * s.layerParams * (engine === 'device' ? 4 + 2 : 4), embeddingParams * 4);
  // the PCA's arrays and the runtime as the job's RAM model counts them (memory.ts slicingJobRam)
  const { pca, eigenWorkspace } = pcaRam(s.hiddenSize);
  return inRam + weights + pca + eigenWorkspace + SLICING_RUNTIME_BYTES;
}

export function predictSlice(c: ModelConfig, o: PredictInput): SlicePrediction {
  const profile = chooseProfile(o.ep, o.cores);
  const target = shapeOf(c, o.nsamples, o.seqlen);
  const sig = c.parallelBlocks ? 1 : 2;
  const cores = o.cores ?? profile.cores;
  const solver = o.pcaSolver ?? (profile.ep === 'cpu' ? 'float64' : 'wgsl');
  // CPU-bound phases: everything on the host engine; the float64 eigensolver and the rotations on the device one.
  // (Loading is single-threaded JS: not scaled.)
  const cpuBound: Record<Phase, boolean> = { load: false, signals: profile.engine === 'host', pca: solver === 'float64', rotate: true };
  const coreFactor = profile.cores / Math.max(1, cores);
  // the PCA from the points of this eigensolver (all of the profile's where it has none)
  const sameSolver = profile.points.filter((m) => m.pcaSolver === solver);
  const pcaPoints = sameSolver.length > 0 ? sameSolver : profile.points;
  const phase = (p: Phase): number => {
    const own = p === 'pca' ? pcaPoints : profile.points;
    // a phase the profile did not time (older result files have no 'load') comes from the profiles that did
    const from = own.some((m) => m.perLayer[p] !== null) ? own : PROFILES.flatMap((q) => q.points);
    const pts = from.filter((m) => m.perLayer[p] !== null).map((m) => ({ w: work(p, m.shape), t: m.perLayer[p] as number }));
    return Math.max(FLOOR[p], scale(pts, work(p, target, sig)) * (cpuBound[p] ? coreFactor : 1));
  };
  const perLayer = { load: phase('load'), signals: phase('signals'), pca: phase('pca'), rotate: phase('rotate'), total: 0 };
  perLayer.total = perLayer.load + perLayer.signals + perLayer.pca + perLayer.rotate;
  const embPts = profile.points.filter((m) => m.embedding !== null).map((m) => ({ w: work('embedding', m.shape), t: m.embedding as number }));
  const embeddingSeconds = Math.max(FLOOR.embedding, scale(embPts, work('embedding', target)) * coreFactor);
  // the head costs about what the embeddings do (a V × D matrix rotated once)
  const totalSeconds = 2 * embeddingSeconds + c.numLayers * perLayer.total;

  const deviceBudget = o.deviceBudgetBytes ?? DEFAULT_DEVICE_BUDGET_BYTES;
  const ramBudget = o.ramBudgetBytes ?? DEFAULT_RAM_BUDGET_BYTES;
  const dense = countParams(denseShapes(c));
  const ram = modelledRam(target, profile.engine, dense.embedding, deviceBudget, ramBudget);
  // allowance: extra copies of a layer's float32 weights, fitted to the profile's measured peaks
  // fitted at the measured point nearest in layer size (of one size: the one whose activations in RAM are nearest)
  const measured = profile.points.filter((m) => m.peakRssBytes !== null);
  const inRam = (m: MeasuredPoint) => activationsInRam(m.shape, profile.engine, m.budgets.deviceBytes, m.budgets.ramBytes);
  const targetInRam = activationsInRam(target, profile.engine, deviceBudget, ramBudget);
  const distance = (m: MeasuredPoint) => [Math.abs(Math.log(m.shape.layerParams / target.layerParams)), Math.abs(inRam(m) - targetInRam)];
  const closer = (a: MeasuredPoint, b: MeasuredPoint) => {
    const [da, db] = [distance(a), distance(b)];
    return da[0] < db[0] - 1e-9 || (Math.abs(da[0] - db[0]) <= 1e-9 && da[1] < db[1]);
  };
  const near = measured.reduce<MeasuredPoint | null>((b, m) => (!b || closer(m, b) ? m : b), null);
  const copies = near ? Math.max(0, ((near.peakRssBytes as number) - modelledRam(near.shape, profile.engine, near.shape.vocabSize * near.shape.hiddenSize, near.budgets.deviceBytes, near.budgets.ramBytes)) / (near.shape.layerParams * 4)) : 0;
  const peakRamBytes = ram + copies * target.layerParams * 4;

  const tokens = o.nsamples * o.seqlen;
  const activations = 2 * tokens * c.hiddenSize * 4;
  let vram: VramParts | null = null;
  // the allowance: a multiple of (layer weights + one batch's working memory) — what ORT's buffer cache and
  // the copies in flight (in×out rotated weights, float16 casts) hold besides —, fitted at the measured VRAM
  // peak nearest in layer size
  const vramPoints = profile.points.filter((m) => m.peakVramBytes !== null && m.shape.numHeads !== undefined && m.shape.intermediateSize !== undefined);
  const vramNear = vramPoints.reduce<MeasuredPoint | null>((b, m) => (!b || Math.abs(Math.log(m.shape.layerParams / target.layerParams)) < Math.abs(Math.log(b.shape.layerParams / target.layerParams)) ? m : b), null);
  let vramFactor = 0;
  if (profile.engine === 'device') {
    if (vramNear) {
      const m = modelledVram(vramNear.shape as Required<MeasuredShape>, vramNear.budgets.deviceBytes);
      vramFactor = Math.max(0, ((vramNear.peakVramBytes as number) - vramSum(m)) / (m.weightsBytes + m.workingBytes));
    }
    const parts = modelledVram({ ...target, numHeads: c.numHeads, intermediateSize: c.intermediateSize }, deviceBudget, o.batchSize);
    vram = { ...parts, allowanceBytes: vramFactor * (parts.weightsBytes + parts.workingBytes) };
  }
  const peakVramBytes = vram === null ? null : vramSum(vram) + vram.allowanceBytes;
  const sliced = o.ratio > 0 ? slicedShapes(c, { ratio: o.ratio, round: o.round ?? 8, rotation: o.rotation ?? 'per-layer' }) : denseShapes(c);
  const outputBytes = countParams(sliced).total * (o.outputBytesPerWeight ?? 4);
  // the next layer's inputs (tokens × d float32) and Q (D² float64), written beside the previous copy
  const checkpointBytes = 2 * (tokens * sliced.d * 4 + c.hiddenSize ** 2 * 8);
  const spillBytes = Math.max(0, activations - (profile.engine === 'device' ? deviceBudget : 0) - ramBudget);
  const disk = { outputBytes, checkpointBytes, spillBytes, totalBytes: outputBytes + checkpointBytes + spillBytes };

  const sources = profile.points.map((m) => m.source);
  const largest = Math.max(0, ...profile.points.map((m) => m.shape.layerParams));
  const solverWords = solver === 'wgsl' ? 'the WGSL eigensolver on the GPU' : 'the float64 CPU eigensolver';
  const origins: SlicePrediction['origins'] = {
    time: {
      kind: 'measured-table',
      detail:
        `the current engine's per-layer seconds per phase measured on ${profile.description} (${profile.points.map((m) => m.label).join('; ')}), scaled to this model by each phase's work; PCA by ${solverWords}` +
        (sameSolver.length === 0 ? ' (not measured on this profile: the PCA comes from its other solver)' : '') +
        (coreFactor !== 1 ? `, CPU-bound phases × ${coreFactor.toFixed(2)} for ${cores} cores` : '') +
        (target.layerParams > largest * 1.01 ? '; extrapolated past the largest measured shape' : ''),
      sources,
    },
    peakRam: {
      kind: 'measured-table',
      detail: `modelled terms plus ${copies.toFixed(1)} float32 layer copies fitted to the measured peak RSS${near ? ` of ${near.label}` : ''}`,
      sources: near ? [near.source] : [],
    },
    peakVram:
      vram === null
        ? null
        : vramNear
          ? {
              kind: 'measured-table',
              detail: `modelled terms (activations up to the device budget, a layer's float32 weights, one batch's intermediates) plus ${vramFactor.toFixed(2)}× the last two, fitted to the measured whole-device peak (nvidia-smi) of ${vramNear.label}${target.layerParams > vramNear.shape.layerParams * 1.5 ? '; extrapolated from that one measurement' : ''}`,
              sources: [vramNear.source],
            }
          : { kind: 'rule', detail: 'modelled only (no VRAM measurement on this profile)', sources: [] },
    disk: { kind: 'rule', detail: 'exact from the shapes: the sliced parameters in the output dtype, two checkpoint copies (inputs and Q), activations past the RAM and GPU budgets', sources: [] },
  };
  const basis = [
    `Time: measured per-layer seconds on ${profile.description} (${profile.points.map((m) => m.label).join('; ')}), scaled to this model by each phase's work${profile.points.length > 1 ? ' (log-log between the measured shapes)' : ''}${coreFactor !== 1 ? `, CPU-bound phases × ${coreFactor.toFixed(2)} for ${cores} cores instead of ${profile.cores}` : ''}.`,
    `Per layer: load ${perLayer.load.toFixed(1)} s, signals ${perLayer.signals.toFixed(1)} s, PCA ${perLayer.pca.toFixed(1)} s, rotate ${perLayer.rotate.toFixed(1)} s; × ${c.numLayers} layers + embeddings and head ${(2 * embeddingSeconds).toFixed(0)} s.`,
    `RAM: activations in RAM (up to the ${formatBytes(ramBudget)} budget), two layers of float32 weights${profile.engine === 'device' ? ' and their float16 forms' : ''}, PCA matrices, 1 GiB runtime, plus ${copies.toFixed(1)} more layer copies as measured.`,
    ...(vram !== null
      ? [
          `VRAM: activations up to the ${formatBytes(deviceBudget)} budget (--vram-gb), one layer's float32 weights, attention and MLP intermediates of one batch${vramNear ? `, plus ${vramFactor.toFixed(2)}× the last two as measured` : ' (modelled, not measured)'}.`,
        ]
      : []),
    `Disk: the sliced model in ${(o.outputBytesPerWeight ?? 4) === 4 ? 'float32' : '16-bit weights'} ${formatBytes(outputBytes)}, checkpoint ${formatBytes(checkpointBytes)}, activations spilled ${formatBytes(spillBytes)}.`,
  ];
  return { profile: { id: profile.id, description: profile.description, sources }, perLayer, embeddingSeconds, layers: c.numLayers, totalSeconds, peakRamBytes, peakVramBytes, vram, disk, basis, origins };
}
