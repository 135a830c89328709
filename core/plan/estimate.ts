// One point of the plan: the model at one slicing ratio, in one format, on one machine. This is what
// the wizard's ratio slider shows live, and what the planner's search evaluates at each grid step.
import type { ModelConfig } from '../model/config';
import { parseFormat } from './formats';
import { countParams, denseParams, denseShapes, slicedShapes, PlanInputError, type ModelShapes, type ParamCount } from './params';
import { weightBytes, kvBytesPerLayer, workingSet, splitAcrossDevices, slicingJobRam, type WeightBytes } from './memory';
import { formatBytes, type PlanHardware } from './hardware';
import { explainEstimate } from './explain';
import { ggufRounding } from './gguf-rounding';
import type { Estimate, PlanOptions, ResolvedOptions } from './estimate-types';

/** Past this ratio the paper's perplexities rise steeply. */
export const QUALITY_CLIFF = 0.3;

export function resolveOptions(c: ModelConfig, o: PlanOptions = {}): ResolvedOptions {
  const format = parseFormat(o.format ?? 'fp16');
  const ctx = o.ctx ?? Math.min(c.maxPositions, 4096);
  const batch = o.batch ?? 1;
  if (!(Number.isInteger(ctx) && ctx >= 1)) throw new PlanInputError(`context length ${ctx} must be a positive whole number of tokens`);
  if (!(Number.isInteger(batch) && batch >= 1)) throw new PlanInputError(`batch ${batch} must be a positive whole number`);
  const rotation = o.rotation ?? 'per-layer';
  return {
    format,
    ctx,
    batch,
    round: o.round ?? format.round,
    sliceHead: rotation === 'uniform' ? true : (o.sliceHead ?? false),
    rotation,
    kvDtype: o.kvDtype ?? 'f16',
    calibration: o.calibration ?? {},
  };
}

export function shapesAt(c: ModelConfig, ratio: number, o: ResolvedOptions): ModelShapes {
  return ratio === 0 ? denseShapes(c) : slicedShapes(c, { ratio, round: o.round, sliceHead: o.sliceHead, rotation: o.rotation });
}

/** Core of estimate(): numbers only (no warnings or explanation), cheap enough for a search. */
/**
 * Shapes, counts and bytes per (config, ratio, options): a search measures the same point against many
 * hardware variants (the extra-GPU bisection), and only the split across devices depends on those.
 */
const pointsPerConfig = new WeakMap<ModelConfig, Map<string, { shapes: ModelShapes; params: ParamCount; weights: WeightBytes }>>();
function point(c: ModelConfig, ratio: number, o: ResolvedOptions): { shapes: ModelShapes; params: ParamCount; weights: WeightBytes } {
  let m = pointsPerConfig.get(c);
  if (!m) pointsPerConfig.set(c, (m = new Map()));
  const key = `${ratio}|${o.format.id}|${o.round}|${o.sliceHead}|${o.rotation}`;
  let p = m.get(key);
  if (!p) {
    const shapes = shapesAt(c, ratio, o);
    p = { shapes, params: countParams(shapes), weights: weightBytes(shapes, o.format) };
    if (m.size > 2000) m.clear();
    m.set(key, p);
  }
  return p;
}

export function measure(c: ModelConfig, hw: PlanHardware, ratio: number, o: ResolvedOptions): Omit<Estimate, 'warnings' | 'explain' | 'slicingRam' | 'slicingFitsRam'> {
  const { shapes, params, weights } = point(c, ratio, o);
  const kvPerLayer = kvBytesPerLayer(c, o.ctx, o.batch, o.kvDtype);
  const work = workingSet(c, o.ctx, o.batch);
  const devices = splitAcrossDevices({ config: c, weights, kvPerLayer, work }, hw);
  const totalBytes = devices.reduce((a, u) => a + u.usedBytes, 0);
  const capacityBytes = devices.reduce((a, u) => a + u.capacityBytes, 0);
  return {
    ratio,
    sliced: shapes.sliced,
    D: shapes.D,
    d: shapes.d,
    options: o,
    params,
    denseParams: denseParams(c),
    weights,
    kvPerLayer,
    kvCacheBytes: kvPerLayer * c.numLayers,
    work,
    devices,
    totalBytes,
    capacityBytes,
    fits: devices.every((u) => u.fits),
  };
}

/** The smallest grid ratio at which slicing stops growing the model (shortcuts cost 2·d² per layer). */
export function breakEvenRatio(c: ModelConfig, o: ResolvedOptions): number | null {
  const dense = countParams(denseShapes(c)).total;
  for (let i = 1; i <= 99; i++) {
    try {
      if (countParams(shapesAt(c, i / 100, o)).total < dense) return i / 100;
    } catch {
      return null;
    }
  }
  return null;
}

/** The live estimate at one ratio (0 = dense), with warnings and the arithmetic in words. */
export function estimate(c: ModelConfig, hw: PlanHardware, ratio: number, opts: PlanOptions = {}): Estimate {
  const o = resolveOptions(c, opts);
  const m = measure(c, hw, ratio, o);
  const slicingRam = slicingJobRam(c, { ...o.calibration, engine: hw.gpus.length ? 'device' : 'host' });
  const slicingFitsRam = hw.ramFreeBytes <= 0 || slicingRam.total <= hw.ramFreeBytes;
  const warnings: string[] = [];
  const pct = Math.round(ratio * 100);
  if (ratio > QUALITY_CLIFF) warnings.push(`${pct}% is past SliceGPT's quality cliff (~${QUALITY_CLIFF * 100}%): perplexity rises steeply beyond it`);
  if (!m.fits) {
    const over = m.devices.filter((u) => !u.fits).map((u) => `${u.device} needs ${formatBytes(u.usedBytes)} of ${formatBytes(u.capacityBytes)} free`);
    warnings.push(`at ${pct}% the model does not fit: ${over.join('; ')}`);
  }
  if (m.sliced && m.params.total >= m.denseParams) {
    const be = breakEvenRatio(c, o);
    warnings.push(
      `at ${pct}% the shortcut matrices make the slice larger than the dense model (${m.params.total.toLocaleString('en-US')} vs ${m.denseParams.toLocaleString('en-US')} parameters)` +
        (be !== null ? `; it gets smaller only from ${Math.round(be * 100)}%` : ''),
    );
  }
  if (o.ctx > c.maxPositions) warnings.push(`context ${o.ctx} exceeds the model's trained maximum of ${c.maxPositions} tokens`);
  if (!slicingFitsRam) {
    // Calibration activations are the only part that scales with the samples: how many would fit?
    const perSample = slicingRam.seqlen * c.hiddenSize * 4 * 2;
    const fitting = Math.floor((hw.ramFreeBytes - (slicingRam.total - slicingRam.activations)) / perSample);
    warnings.push(
      `the slicing job needs about ${formatBytes(slicingRam.total)} of RAM but ${formatBytes(hw.ramFreeBytes)} is free: ` +
        (fitting >= 1 ? `use at most ${fitting} calibration samples of ${slicingRam.seqlen} tokens` : 'this machine cannot slice this model; plan here, slice on a larger one'),
    );
  }
  const ggufBlocks = m.sliced ? ggufRounding(c, m.d, o) : null;
  const est: Estimate = { ...m, slicingRam, slicingFitsRam, warnings, explain: [], ggufBlocks };
  est.explain = explainEstimate(c, hw, est);
  return est;
}
