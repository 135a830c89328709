// The slicing schedule: how wide each signal stays. Constant schedule, as the reference's
// ConstSlicingScheduler with the paper's rounding: d = floor((1 − ratio)·D), rounded down to a multiple of
// `round`. By default the head is not sliced: the last block's output keeps the full width D and the head is
// rotated by the last full Q.
import { keptWidth } from '../plan/params';
import { SliceOptionsError } from './errors';

export interface LayerDims {
  attnInput: number;
  attnOutput: number;
  mlpInput: number;
  mlpOutput: number;
}

export interface SliceSchedule {
  hiddenSize: number;
  layers: number;
  parallelBlocks: boolean;
  sliceHead: boolean;
  /** The constant sliced width d. */
  d: number;
  /** Width of the embeddings' output (token and position tables alike). */
  embedding: number;
  perLayer: LayerDims[];
  head: number;
}

export function slicedWidth(hiddenSize: number, ratio: number, round = 8): number {
  if (!(ratio >= 0 && ratio < 1)) throw new SliceOptionsError(`slicing ratio must be in [0, 1), got ${ratio}`);
  if (!(Number.isInteger(round) && round >= 1)) throw new SliceOptionsError(`round must be a positive integer, got ${round}`);
  const { d } = keptWidth(hiddenSize, ratio, round);
  if (d < 1) throw new SliceOptionsError(`ratio ${ratio} with round ${round} leaves no dimensions of ${hiddenSize}`);
  return d;
}

export function makeSchedule(o: { hiddenSize: number; layers: number; parallelBlocks: boolean; ratio: number; round?: number; sliceHead?: boolean }): SliceSchedule {
  const d = slicedWidth(o.hiddenSize, o.ratio, o.round ?? 8);
  const sliceHead = o.sliceHead ?? false;
  const head = sliceHead ? d : o.hiddenSize;
  const perLayer: LayerDims[] = [];
  for (let i = 0; i < o.layers; i++) {
    const attnInput = i === 0 ? d : perLayer[i - 1].mlpOutput;
    const mlpOutput = i === o.layers - 1 ? head : d;
    // Parallel blocks have one output signal: attention and MLP write the same sliced residual.
    const attnOutput = o.parallelBlocks ? mlpOutput : d;
    const mlpInput = o.parallelBlocks ? attnInput : attnOutput;
    perLayer.push({ attnInput, attnOutput, mlpInput, mlpOutput });
  }
  return { hiddenSize: o.hiddenSize, layers: o.layers, parallelBlocks: o.parallelBlocks, sliceHead, d, embedding: d, perLayer, head };
}
