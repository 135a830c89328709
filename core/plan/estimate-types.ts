// The shapes of an estimate and its options, apart from the arithmetic (estimate.ts) and its explanation
// in words (explain.ts), so that each of those two can use them without importing the other.
import type { WeightFormat, FormatId } from './formats';
import type { ParamCount, Rotation } from './params';
import type { WeightBytes, WorkingSet, DeviceUsage, SlicingRam, SlicingRamOptions, KvDtype } from './memory';
import type { GgufRounding } from './gguf-rounding';

export interface PlanOptions {
  /** Storage format of the weights (default fp16): 'fp32', 'fp16', 'bf16', 'q8' / 'q8_0', 'q4' / 'q4_0', 'q4_k', 'q6_k'. */
  format?: FormatId | string | WeightFormat;
  /** Context length in tokens (default: the model's maximum, at most 4096). */
  ctx?: number;
  /** Sequences run together (default 1). */
  batch?: number;
  /** Ratios to search (default 0.01 … 0.50 in steps of 0.01); dense (0) is always tried first. */
  ratios?: number[];
  /** d is rounded down to a multiple of this (default: what the format needs: 8, 32 or 256). */
  round?: number;
  /** Slice the head too (default false: the head stays V×D, as in the paper). */
  sliceHead?: boolean;
  /** 'per-layer' (SliceGPT, shortcut matrices; default) or 'uniform' (one Q, no shortcuts, head sliced: GGUF). */
  rotation?: Rotation;
  /** KV cache element type (default f16). */
  kvDtype?: KvDtype;
  /** Calibration size, for the slicing job's RAM. */
  calibration?: SlicingRamOptions;
}

export interface ResolvedOptions {
  format: WeightFormat;
  ctx: number;
  batch: number;
  round: number;
  sliceHead: boolean;
  rotation: Rotation;
  kvDtype: KvDtype;
  calibration: SlicingRamOptions;
}

export interface Estimate {
  ratio: number;
  sliced: boolean;
  D: number;
  d: number;
  options: ResolvedOptions;
  params: ParamCount;
  denseParams: number;
  weights: WeightBytes;
  kvPerLayer: number;
  kvCacheBytes: number;
  work: WorkingSet;
  devices: DeviceUsage[];
  /** Everything on every device. */
  totalBytes: number;
  capacityBytes: number;
  fits: boolean;
  slicingRam: SlicingRam;
  /** False when the machine's free RAM is known and below what slicing needs. */
  slicingFitsRam: boolean;
  warnings: string[];
  explain: string[];
  /** For a slice: whether d fills GGUF K-quant blocks (256), and the nearest d that does with its cost. */
  ggufBlocks?: GgufRounding | null;
}
