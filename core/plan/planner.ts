// The plan: the smallest slicing ratio at which the model runs on the user's GPUs — or, when none
// does, why not and what would (a more compact format, a shorter context, another GPU, the CPU).
// Memory only grows with d, so scanning the ratio grid upwards stops at the smallest ratio that fits.
// Dense (ratio 0) is tried first: with no slicing there are no shortcut matrices, and at small ratios a
// slice is *larger* than the dense model, so "no slicing needed" is a real answer.
import type { ModelConfig } from '../model/config';
import { moreCompactThan } from './formats';
import { PlanInputError } from './params';
import { estimate, measure, resolveOptions, QUALITY_CLIFF } from './estimate';
import type { Estimate, PlanOptions, ResolvedOptions } from './estimate-types';
import { GiB, formatBytes, type PlanHardware } from './hardware';

export const DEFAULT_RATIOS: readonly number[] = Array.from({ length: 50 }, (_, i) => (i + 1) / 100);

export type SuggestionKind = 'format' | 'context' | 'gpu' | 'cpu';

export interface Suggestion {
  kind: SuggestionKind;
  text: string;
  /** The ratio the suggestion fits at (0 = dense). */
  ratio?: number;
  format?: string;
  ctx?: number;
  /** Size of the extra GPU, in GB (GiB), or RAM needed, in GB. */
  gb?: number;
}

export interface PlanResult {
  fits: boolean;
  /** Smallest ratio that fits (0: fits dense, no slicing needed); null when nothing fits. */
  ratio: number | null;
  d: number | null;
  /** At `ratio`, or at the largest ratio tried when nothing fits. */
  estimate: Estimate;
  /** Why nothing fits (empty when it fits). */
  reasons: string[];
  /** What would fit, when nothing does or only past the quality cliff. */
  suggestions: Suggestion[];
  warnings: string[];
  explain: string[];
}

/** The smallest ratio of `grid` (after dense) that fits, or null. Numbers only, for searches. */
export function smallestFittingRatio(c: ModelConfig, hw: PlanHardware, o: ResolvedOptions, grid: readonly number[]): number | null {
  if (measure(c, hw, 0, o).fits) return 0;
  for (const r of grid) {
    let fits: boolean;
    try {
      fits = measure(c, hw, r, o).fits;
    } catch (e) {
      if (e instanceof PlanInputError) continue; // d rounds to nothing at this ratio: skip it
      throw e;
    }
    if (fits) return r;
  }
  return null;
}

function checkGrid(ratios: readonly number[]): number[] {
  const grid = [...ratios].filter((r) => r > 0).sort((a, b) => a - b);
  if (ratios.length === 0 || ratios.some((r) => !(r >= 0 && r < 1))) throw new PlanInputError(`ratios must lie in [0, 1): got ${ratios.join(', ')}`);
  return grid;
}

const pctOf = (r: number): string => (r === 0 ? 'dense (no slicing)' : `${Math.round(r * 100)}%`);

export function plan(c: ModelConfig, hw: PlanHardware, opts: PlanOptions = {}): PlanResult {
  const o = resolveOptions(c, opts);
  const grid = checkGrid(opts.ratios ?? DEFAULT_RATIOS);
  const ratio = smallestFittingRatio(c, hw, o, grid);
  const fits = ratio !== null;
  const shown = fits ? ratio : lastValidRatio(c, o, grid);
  const est = estimate(c, hw, shown, opts);
  const reasons = fits ? [] : whyNot(est);
  const suggestions = !fits || ratio > QUALITY_CLIFF ? suggest(c, hw, o, grid, opts) : [];
  const warnings = [...est.warnings];
  const explain = [...est.explain];
  if (fits) {
    explain.push(ratio === 0 ? `The dense model fits: no slicing is needed to run it here.` : `Smallest ratio that fits: ${pctOf(ratio)} (d = ${est.d}); the next smaller ratio on the grid does not fit.`);
  } else {
    explain.push(`Nothing up to ${pctOf(shown)} fits.`);
  }
  return { fits, ratio, d: fits ? est.d : null, estimate: est, reasons, suggestions, warnings, explain };
}

/** The largest grid ratio whose d is valid (tiny models with 256-blocks may have none: then dense). */
function lastValidRatio(c: ModelConfig, o: ResolvedOptions, grid: number[]): number {
  for (let i = grid.length - 1; i >= 0; i--) {
    try {
      measure(c, { gpus: [], ramFreeBytes: 0 }, grid[i], o);
      return grid[i];
    } catch (e) {
      if (!(e instanceof PlanInputError)) throw e;
    }
  }
  return 0;
}

function whyNot(e: Estimate): string[] {
  const at = pctOf(e.ratio);
  const reasons: string[] = [];
  const gpuWord = e.devices.length > 1 ? `the ${e.devices.length} GPUs have` : e.devices[0].kind === 'cpu' ? 'RAM has' : 'the GPU has';
  if (e.totalBytes > e.capacityBytes) {
    reasons.push(
      `even at ${at}${e.sliced ? ` (d = ${e.d})` : ''} the model needs ${formatBytes(e.totalBytes)} ` +
        `(weights ${formatBytes(e.weights.total)}, KV cache ${formatBytes(e.kvCacheBytes)}, runtime and activations ${formatBytes(e.totalBytes - e.weights.total - e.kvCacheBytes)}) ` +
        `but ${gpuWord} ${formatBytes(e.capacityBytes)} free`,
    );
  } else {
    const over = e.devices.filter((u) => !u.fits).map((u) => `${u.device} would need ${formatBytes(u.usedBytes)} of ${formatBytes(u.capacityBytes)}`);
    reasons.push(`at ${at} the total would fit, but not split by whole layers: ${over.join('; ')} (each GPU also pays its own runtime and activations)`);
  }
  if (e.kvCacheBytes > e.capacityBytes / 2) reasons.push(`the KV cache alone (${formatBytes(e.kvCacheBytes)}) takes over half the memory; slicing does not shrink it`);
  return reasons;
}

const MAX_EXTRA_GPU_GB = 1024;

function suggest(c: ModelConfig, hw: PlanHardware, o: ResolvedOptions, grid: number[], opts: PlanOptions): Suggestion[] {
  const out: Suggestion[] = [];
  // A more compact format: the closest one that fits.
  for (const f of moreCompactThan(o.format)) {
    const fo = resolveOptions(c, { ...opts, format: f, round: opts.round });
    const r = smallestFittingRatio(c, hw, fo, grid);
    if (r !== null) {
      out.push({ kind: 'format', format: f.id, ratio: r, text: `${f.label} fits at ${pctOf(r)}${r > 0 ? ` (d = ${measure(c, hw, r, fo).d})` : ''}` });
      break;
    }
  }
  // A shorter context: the longest power-of-two fraction that fits.
  for (let ctx = Math.floor(o.ctx / 2); ctx >= 256; ctx = Math.floor(ctx / 2)) {
    const r = smallestFittingRatio(c, hw, { ...o, ctx }, grid);
    if (r !== null) {
      out.push({ kind: 'context', ctx, ratio: r, text: `a context of ${ctx} tokens fits at ${pctOf(r)}` });
      break;
    }
  }
  // Another GPU: the smallest whole-GB card that, added after these, makes it fit within the quality cliff if
  // possible (else anywhere on the grid). Fitting only improves with a bigger card, so bisect.
  const fitsWith = (gb: number, g: number[]): number | null => smallestFittingRatio(c, { ...hw, gpus: [...hw.gpus, { name: `extra GPU (${gb} GiB)`, freeBytes: gb * GiB, totalBytes: gb * GiB }] }, o, g);
  const cliffGrid = grid.filter((r) => r <= QUALITY_CLIFF);
  for (const g of [cliffGrid, grid]) {
    if (fitsWith(MAX_EXTRA_GPU_GB, g) === null) continue;
    let lo = 0;
    let hi = MAX_EXTRA_GPU_GB;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (fitsWith(mid, g) === null) lo = mid;
      else hi = mid;
    }
    const r = fitsWith(hi, g)!;
    const what = hw.gpus.length === 0 ? 'a GPU' : 'another GPU';
    out.push({ kind: 'gpu', gb: hi, ratio: r, text: `${what} with ${hi} GiB free fits at ${pctOf(r)}` });
    break;
  }
  // The CPU: the dense model needs no slicing there, only RAM.
  const cpu = measure(c, { gpus: [], ramFreeBytes: Number.MAX_SAFE_INTEGER }, 0, o);
  const needGb = Math.ceil(cpu.totalBytes / GiB);
  const have = hw.ramFreeBytes > 0 ? `; ${formatBytes(hw.ramFreeBytes)} is free` : '';
  if (hw.gpus.length > 0 || hw.ramFreeBytes < cpu.totalBytes) {
    out.push({ kind: 'cpu', gb: needGb, ratio: 0, text: `running on the CPU (slower) needs about ${needGb} GiB of RAM for the dense model in ${o.format.label}${have}` });
  }
  return out;
}
