// `slice`: SliceGPT on a dense model folder (core/slicegpt/slice-model.ts), written to an output folder with
// checkpoints at layer boundaries (every one for small models; big ones every `checkpointEvery` seconds of work). A cancelled or killed run is continued by the same parameters plus
// `resume: true` (the API's resumeJob does exactly that), which gives a bit-identical model.
//
// What the run keeps (see `records`):
// - metrics: d, params (stored, shortcut matrices included), dense_params, kept_variance_mean, seconds;
// - layer_stats, per transformer layer (the embeddings' signal is layer −1):
//     one row per PCA signal, phase = its name ('embedding' | 'attention' | 'mlp' | 'block'), with the
//     explained-variance fraction kept at d, the top-64 eigenvalues and dims { kept, width, tokens };
//     one row per timed phase, phase = 'load' | 'signals' | 'pca' | 'rotate', with its seconds;
// - one artifact: the output folder (bytes of the whole folder, the folder digest of its safetensors files, base/folder-hash.ts).
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { checkCancelled, type JobContext } from '../../base/job-context';
import { fingerprintFolder } from '../../base/folder-hash';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { boolean, literal, nonEmptyString, number, object, optional, positiveInteger, integer, PayloadError } from '../../base/validate';
import type { ExecutionProvider } from '../../runtime/contract';
import type { LayerStatInput, MetricInput } from '../../store/types';
import type { LayerTiming, SignalStats } from '../../slicegpt/rotate-and-slice';
import type { SliceOptions } from '../../slicegpt/slice-options';
import { dataDir } from '../../base/paths';
import { LIMITS, readJsonObjectSync } from '../../model/input-file';
import { executionProvider, inRange, modelFolder, RssPeak, summarizeModel, type ModelSummary } from './common';
import type { OutputDtype } from '../../slicegpt/output';
import { megabytes, predictSliceSize, weightBytes, type SizePrediction } from '../../slicegpt/output-size';
import { datasetSpec } from '../../data/datasets';

/** The job's parameters: the slicer's own options (slice-model.ts) that a caller may set, as JSON. */
export type SliceParams = Pick<SliceOptions, 'model' | 'ratio' | 'cal' | 'nsamples' | 'seqlen' | 'sampling' | 'seed' | 'round' | 'sliceHead' | 'batchSize' | 'ep' | 'resume' | 'passDtype' | 'checkpointEvery'> & {
  /** Output folder; by default `<dataDir>/slices/<model>-<ratio>-<runId>` (filled in when the run exists). */
  out?: string;
  rotation: NonNullable<SliceOptions['rotation']>;
  /**
   * GPU EPs: GiB of calibration activations kept on the GPU between passes (the rest goes through host
   * RAM). Default: half the largest detected GPU's memory, or 4 GiB when none is detected.
   */
  vramGb?: number;
  /** The most RAM (GiB) the slice may use: refused before any work when the predicted peak is more (default: what the OS has available). */
  ramGb?: number;
  /** Weight dtype of the output; by default the source's (a float16 model gives a float16 slice). */
  dtype?: OutputDtype;
  /** Write the slice even when it would be larger than the model (refused otherwise). */
  allowLarger?: boolean;
};

/** The reference implementation's defaults (128 samples of 2048 tokens, random sampling, seed 42). */
export const SLICE_DEFAULTS = {
  ratio: 0.25,
  cal: 'wikitext2',
  nsamples: 128,
  seqlen: 2048,
  sampling: 'random',
  seed: 42,
  round: 8,
  sliceHead: false,
  ep: 'cpu',
  resume: false,
  rotation: 'per-layer',
} as const;

const shape = object({
  model: modelFolder,
  ratio: optional(number),
  cal: optional(nonEmptyString),
  nsamples: optional(positiveInteger),
  seqlen: optional(positiveInteger),
  sampling: optional(literal('first', 'random')),
  seed: optional(integer),
  round: optional(positiveInteger),
  sliceHead: optional(boolean),
  batchSize: optional(positiveInteger),
  out: optional(nonEmptyString),
  ep: optional(executionProvider),
  resume: optional(boolean),
  rotation: optional(literal('per-layer', 'uniform')),
  vramGb: optional(number),
  ramGb: optional(number),
  dtype: optional(literal('float32', 'float16', 'bfloat16')),
  allowLarger: optional(boolean),
  passDtype: optional(literal('f16', 'f32')),
  checkpointEvery: optional(number),
});

/** The model's context length, so the default calibration length never exceeds it (tiny models have 512). */
function maxPositions(folder: string): number | null {
  try {
    // Read the untrusting way: a FIFO named config.json must not block the thread that validates.
    const c = readJsonObjectSync(join(folder, 'config.json'), LIMITS.config, PayloadError);
    const n = Number(c.max_position_embeddings ?? c.n_positions);
    return Number.isInteger(n) && n > 1 ? n : null;
  } catch {
    return null;
  }
}

export const sliceParams = paramsFrom('slicing parameters', shape, (p, where): SliceParams => {
  inRange(`${where}.ratio`, p.ratio, 0, 0.99, false);
  inRange(`${where}.seqlen`, p.seqlen, 2, 1 << 20);
  inRange(`${where}.round`, p.round, 1, 4096);
  inRange(`${where}.vramGb`, p.vramGb, 0, 1 << 20);
  inRange(`${where}.ramGb`, p.ramGb, 0, 1 << 20, false);
  inRange(`${where}.checkpointEvery`, p.checkpointEvery, 0, 1 << 30, false);
  const cal = p.cal ?? SLICE_DEFAULTS.cal;
  const ctx = maxPositions(p.model);
  if (p.seqlen !== undefined && ctx !== null && p.seqlen > ctx) throw new PayloadError(`${where}.seqlen ${p.seqlen} exceeds the model's ${ctx} positions`);
  refuseLarger(p.model, p.ratio ?? SLICE_DEFAULTS.ratio, p);
  return {
    ...SLICE_DEFAULTS,
    seqlen: Math.min(SLICE_DEFAULTS.seqlen, ctx ?? SLICE_DEFAULTS.seqlen),
    ...p,
    cal: datasetSpec(cal).kind === 'file' ? resolve(cal) : cal,
    ...(p.out ? { out: resolve(p.out) } : {}),
  };
});

/**
 * A slice must be smaller than its model: predicted from the exact shapes before any work, and refused
 * (one line: both sizes, why, the smallest ratio that shrinks it) unless `allowLarger`.
 */
function refuseLarger(model: string, ratio: number, p: { round?: number; sliceHead?: boolean; rotation?: 'per-layer' | 'uniform'; dtype?: OutputDtype; allowLarger?: boolean }): void {
  if (p.allowLarger) return;
  let s: SizePrediction;
  try {
    s = predictSliceSize(model, { ratio, round: p.round, sliceHead: p.sliceHead, rotation: p.rotation, dtype: p.dtype });
  } catch {
    return; // an unreadable folder or config is reported by the job itself, with its own message
  }
  if (s.denseBytes === 0 || s.slicedBytes < s.denseBytes) return;
  let from = s.smallerFrom === null ? 'no ratio below 99 % makes it smaller' : `a ratio of ${Math.round(s.smallerFrom * 100)} % or more makes it smaller`;
  // Small ratios grow only by their shortcut matrices, which uniform rotation does without.
  if (s.uniformBytes !== null && s.uniformBytes < s.denseBytes) from += `, as does rotation 'uniform' / --rotation uniform at this ratio (${megabytes(s.uniformBytes)}, no shortcut matrices)`;
  throw new PayloadError(
    `slicing ${basename(model)} at ${+(ratio * 100).toFixed(1)} % would write ${megabytes(s.slicedBytes)} of ${s.dtype} weights, more than the model's ${megabytes(s.denseBytes)} (${s.why}); ${from} (allowLarger / --allow-larger writes it anyway)`,
  );
}

/** `<dataDir>/slices/<model>-<ratio>-<runId>`: the default output folder of run `runId`. */
export function defaultSliceOut(model: string, ratio: number, runId: number): string {
  return join(dataDir(), 'slices', `${basename(model)}-${ratio}-${runId}`);
}

export interface SliceArtifact {
  path: string;
  /** Bytes of every file in the folder. */
  bytes: number;
  /** The folder digest (base/folder-hash.ts: sha256 over sorted "name\0bytes\0sha256" lines) of its safetensors files. */
  sha256: string;
}

export interface SliceJobResult {
  out: string;
  ratio: number;
  d: number;
  hiddenSize: number;
  layers: number;
  dense: ModelSummary;
  sliced: ModelSummary;
  artifact: SliceArtifact;
  /** Weight bytes before (the dense folder's tensors as stored) and after (the slice's), and the slice's dtype. */
  sizes: { denseBytes: number; slicedBytes: number; dtype: OutputDtype };
  stats: SignalStats[];
  timings: LayerTiming[];
  /** Layer the run continued at (null: it started from scratch). */
  resumedAt: number | null;
  seconds: number;
  ep: ExecutionProvider;
  peakRssBytes: number;
}

/**
 * On a GPU EP: bytes of activations the device engine may keep on the GPU (as asked, else the planner's
 * default: half the largest GPU's memory) and the memory of that GPU (free where the tool says, for the
 * preflight; undefined when no GPU is detected).
 */
async function deviceBudgets(vramGb: number | undefined): Promise<{ deviceBudgetBytes: number; deviceMemoryBytes?: number }> {
  const { detectGpus } = await import('../../hardware/detect');
  const { totalmem } = await import('node:os');
  const { defaultDeviceBudget } = await import('../../plan/predict');
  const gpus = await detectGpus(totalmem()).catch(() => []);
  const largest = gpus.reduce<(typeof gpus)[number] | null>((b, g) => (!b || g.totalBytes > b.totalBytes ? g : b), null);
  return {
    deviceBudgetBytes: vramGb !== undefined ? vramGb * 2 ** 30 : defaultDeviceBudget(gpus),
    ...(largest && !largest.unifiedMemory ? { deviceMemoryBytes: largest.freeBytes ?? largest.totalBytes } : {}),
  };
}

async function hashFolder(ctx: JobContext, folder: string): Promise<SliceArtifact> {
  const names = readdirSync(folder)
    .filter((f) => !f.startsWith('.'))
    .sort();
  let bytes = 0;
  for (const f of names) bytes += statSync(join(folder, f)).size;
  // The one artifact-hash scheme (base/folder-hash.ts, as exports and `fingerprint` use), over the weights
  // only: slice_studio.json records when and how the run went, which differs between equal slices.
  const { digest } = await fingerprintFolder(ctx, folder, (name) => name.endsWith('.safetensors'));
  return { path: folder, bytes, sha256: digest };
}

export async function runSlice(ctx: JobContext, p: SliceParams): Promise<SliceJobResult> {
  if (!p.out) throw new PayloadError('slice params.out is missing (the runner fills it in)');
  if (p.resume && !existsSync(join(p.out, '.checkpoint'))) ctx.log(`no checkpoint in ${p.out}: starting from the first layer`);
  const { sliceModel } = await import('../../slicegpt/slice-model');
  const dense = await summarizeModel(p.model);
  const rss = new RssPeak();
  const device = p.ep === 'cpu' ? undefined : await deviceBudgets(p.vramGb);
  const r = await sliceModel(ctx, {
    model: p.model,
    ratio: p.ratio,
    cal: p.cal,
    nsamples: p.nsamples,
    seqlen: p.seqlen,
    sampling: p.sampling,
    seed: p.seed,
    round: p.round,
    sliceHead: p.sliceHead,
    out: p.out,
    ep: p.ep,
    resume: p.resume,
    batchSize: p.batchSize,
    rotation: p.rotation,
    ...(p.dtype ? { dtype: p.dtype } : {}),
    ...(device ?? {}),
    ...(p.ramGb !== undefined ? { ramLimitBytes: p.ramGb * 2 ** 30 } : {}),
    ...(p.passDtype ? { passDtype: p.passDtype } : {}),
    ...(p.checkpointEvery !== undefined ? { checkpointEvery: p.checkpointEvery } : {}),
  }).finally(() => rss.stop());
  ctx.progress({ phase: 'hash', fraction: 1, message: 'hashing the output' });
  const artifact = await hashFolder(ctx, r.out);
  const sliced = await summarizeModel(r.out);
  const sizes = { denseBytes: weightBytes(p.model), slicedBytes: weightBytes(r.out), dtype: r.dtype };
  const mb = `${megabytes(sizes.slicedBytes)} of ${sizes.dtype} weights (the model: ${megabytes(sizes.denseBytes)})`;
  ctx.log(sizes.slicedBytes < sizes.denseBytes ? `wrote ${mb}` : `warning: the slice is not smaller than the model: ${mb}`);
  return {
    out: r.out,
    ratio: p.ratio,
    d: r.d,
    hiddenSize: r.schedule.hiddenSize,
    layers: r.schedule.layers,
    dense,
    sliced,
    artifact,
    sizes,
    stats: r.stats,
    timings: r.timings,
    resumedAt: r.resumedAt,
    seconds: r.seconds,
    ep: p.ep,
    peakRssBytes: rss.stop(),
  };
}

export function sliceRecords(r: SliceJobResult): RunRecords {
  const layers: LayerStatInput[] = [];
  for (const s of r.stats) {
    layers.push({
      layer: s.layer ?? -1,
      phase: s.signal,
      keptVariance: s.explainedVariance,
      eigenvalues: s.top,
      dims: { kept: s.kept, width: s.width, tokens: s.tokens },
    });
  }
  for (const t of r.timings) {
    for (const phase of ['load', 'signals', 'pca', 'rotate'] as const) if (t[phase] !== undefined) layers.push({ layer: t.layer, phase, seconds: t[phase] });
  }
  const kept = r.stats.map((s) => s.explainedVariance);
  const metrics: MetricInput[] = [
    { name: 'd', value: r.d },
    { name: 'params', value: r.sliced.params },
    { name: 'dense_params', value: r.dense.params },
    { name: 'bytes', value: r.sizes.slicedBytes, unit: 'B' },
    { name: 'dense_bytes', value: r.sizes.denseBytes, unit: 'B' },
    { name: 'seconds', value: r.seconds, unit: 's' },
  ];
  if (kept.length) metrics.push({ name: 'kept_variance_mean', value: kept.reduce((a, b) => a + b, 0) / kept.length });
  return {
    metrics,
    layers: layers.sort((a, b) => a.layer - b.layer),
    artifacts: [{ path: r.artifact.path, kind: 'sliced-model', format: 'safetensors', bytes: r.artifact.bytes, sha256: r.artifact.sha256, runtime: r.ep }],
    peakRss: r.peakRssBytes,
    ep: r.ep,
  };
}

export const sliceJob = defineJob({
  kind: 'slice',
  runKind: 'slice',
  summary: 'SliceGPT: rotate and slice a dense model into a smaller folder (resumable)',
  cli: {
    positionalLabel: 'a dense model folder',
    flags: {
      ratio: { min: 0, max: 0.99, value: 'R', required: 'slice needs --ratio R (the fraction of the hidden width to delete, e.g. 0.25)' },
      cal: { value: 'wikitext2|alpaca|<file>' },
      nsamples: { min: 1, max: 1 << 20 },
      seqlen: { min: 2, max: 1 << 20 },
      seed: { min: -(2 ** 31), max: 2 ** 31 - 1 },
      round: { min: 1, max: 4096 },
      batchSize: { min: 1, max: 1 << 16 },
      out: { value: '<dir>' },
      vramGb: { min: 0, max: 1 << 20, value: 'G' },
      checkpointEvery: { min: 0, max: 1 << 30, value: 'S' },
    },
  },
  params: sliceParams,
  describe: (p) => `slice ${basename(p.model)} ${Math.round(p.ratio * 100)}%${p.resume ? ' (resumed)' : ''}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  prepare: (p, runId) => (p.out ? p : { ...p, out: defaultSliceOut(p.model, p.ratio, runId) }),
  // The output folder with its checkpoint: two slices into one folder would interleave their shards.
  outputs: (p) => (p.out ? [p.out] : []),
  run: runSlice,
  records: sliceRecords,
});
