// Slicing × quantization for a VRAM budget: for every GGUF type, the smallest ratio at which the model fits the
// chosen GPUs and context, and of those combinations the one with the best expected quality. Expected quality is
// perplexity relative to the dense F16 model: measured where the runs DB has this model's numbers (a GGUF
// export's llama.cpp perplexity at that ratio and type, or the slice's own perplexity times the type's rule
// factor), otherwise the stated rule below. Types are rows: a new GGUF type is one more row in TYPE_RULE and in
// FORMATS (formats.ts); a type without a rule row is still planned, with a rule from its bits per weight.
import type { ModelConfig } from '../model/config';
import { bitsPerWeight, FORMATS, type FormatId } from './formats';
import { measure, resolveOptions } from './estimate';
import type { PlanOptions } from './estimate-types';
import type { PlanHardware } from './hardware';
import { DEFAULT_RATIOS, smallestFittingRatio } from './planner';

/**
 * The rule for a type: relative perplexity increase over F16, rounded from llama.cpp's published quantization
 * table for LLaMA-7B on WikiText-2 (examples/quantize/README; increases of the same order for larger models).
 * Approximate by design: measured numbers replace it as soon as the runs DB has them.
 */
export const TYPE_RULE: Record<string, number> = {
  fp16: 0,
  q8_0: 0.001,
  q6_k: 0.003,
  q5_k_m: 0.007,
  q5_k: 0.008,
  q4_k_m: 0.016,
  q4_k: 0.02,
  q4_0: 0.04,
};

/** The rule for slicing: +1 % perplexity per 1 % sliced (SliceGPT, LLaMA-2 7B/13B on WikiText-2 up to 30 %). */
export const SLICE_RULE_PER_RATIO = 1.0;

export const RULE_TEXT = 'expected perplexity ≈ dense × (1 + ratio) × (1 + type penalty: q8_0 +0.1 %, q6_k +0.3 %, q5_k_m +0.7 %, q4_k_m +1.6 %, q4_k +2 %, q4_0 +4 %) where nothing is measured';

/** A perplexity measured for this model under one protocol: the dense model is ratio 0; dtype null = in-app (unquantized). */
export interface MeasuredPpl {
  ratio: number;
  dtype: FormatId | null;
  ppl: number;
}

export interface Combination {
  ratio: number;
  d: number;
  format: FormatId;
  bitsPerWeight: number;
  totalBytes: number;
  /** Expected perplexity over the dense model's. */
  expectedFactor: number;
  basis: 'measured' | 'measured slice × type rule' | 'rule';
}

export interface CombinationPlan {
  best: Combination | null;
  /** One per GGUF type that fits at some ratio, best first. */
  candidates: Combination[];
  rule: string;
}

const typePenalty = (f: FormatId): number => TYPE_RULE[f] ?? 0.04 * 2 ** (4.5 - bitsPerWeight(FORMATS[f].linear));
const near = (a: number, b: number) => Math.abs(a - b) < 0.005;

function expected(ratio: number, f: FormatId, measured: readonly MeasuredPpl[]): Pick<Combination, 'expectedFactor' | 'basis'> {
  const dense = measured.find((m) => m.ratio === 0 && (m.dtype === null || m.dtype === 'fp16'))?.ppl;
  if (dense) {
    const exact = measured.find((m) => near(m.ratio, ratio) && m.dtype === f);
    if (exact) return { expectedFactor: exact.ppl / dense, basis: 'measured' };
    const slice = measured.find((m) => near(m.ratio, ratio) && (m.dtype === null || m.dtype === 'fp16'));
    if (slice) return { expectedFactor: (slice.ppl / dense) * (1 + typePenalty(f)), basis: 'measured slice × type rule' };
  }
  return { expectedFactor: (1 + SLICE_RULE_PER_RATIO * ratio) * (1 + typePenalty(f)), basis: 'rule' };
}

/** GGUF rows of FORMATS (plus F16), or the given ones: those the exporter writes. */
export function ggufFormats(): FormatId[] {
  return [
    'fp16',
    ...Object.values(FORMATS)
      .filter((f) => f.runtime.startsWith('GGUF'))
      .map((f) => f.id),
  ];
}

export function planCombination(c: ModelConfig, hw: PlanHardware, opts: PlanOptions = {}, measured: readonly MeasuredPpl[] = [], types: readonly FormatId[] = ggufFormats()): CombinationPlan {
  const candidates: Combination[] = [];
  for (const id of types) {
    const o = resolveOptions(c, { ...opts, format: FORMATS[id] });
    const ratio = smallestFittingRatio(c, hw, o, opts.ratios ?? DEFAULT_RATIOS);
    if (ratio === null) continue;
    const m = measure(c, hw, ratio, o);
    candidates.push({ ratio, d: m.d, format: id, bitsPerWeight: bitsPerWeight(FORMATS[id].linear), totalBytes: m.totalBytes, ...expected(ratio, id, measured) });
  }
  candidates.sort((a, b) => a.expectedFactor - b.expectedFactor || a.totalBytes - b.totalBytes);
  return { best: candidates[0] ?? null, candidates, rule: RULE_TEXT };
}
