// Which sliced widths d let a GGUF K-quant export (Q4_K, Q5_K, Q6_K and their _M mixtures) store the residual-width
// matrices in 256-weight blocks, and what choosing one costs. A row (ggml's ne0) that is not a multiple of 256
// falls back to a block-32 type (Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0: llama.cpp's quantizer, and our export,
// core/export/gguf/mixture.ts): about 1 bit per weight more and no K-quant scales. Rounding d down to a multiple of
// 256 slices more (a smaller, lower-quality model); rounding up slices less. Both are offered with their ratio,
// parameters and bytes in the plan's format, next to the d asked for.
import type { ModelConfig } from '../model/config';
import { countParams, slicedShapes, type Rotation } from './params';
import { weightBytes } from './memory';
import type { WeightFormat } from './formats';

export const K_BLOCK = 256;

export interface GgufRoundingChoice {
  d: number;
  /** The slicing ratio that keeps exactly d of D. */
  ratio: number;
  params: number;
  /** Weight bytes in the plan's format. */
  weightBytes: number;
  /** Against the d asked for (negative: smaller). */
  deltaParams: number;
  deltaBytes: number;
}

export interface GgufRounding {
  block: number;
  d: number;
  /** d is a multiple of 256: the residual-width rows take K-quant blocks. */
  fits: boolean;
  /** The multiples of 256 just below and above d (within 256 … D), when d is not one. */
  choices: GgufRoundingChoice[];
  /** The MLP width: ffn_down's rows fall back whatever d is when it is not a multiple of 256. */
  intermediateFits: boolean;
  line: string;
}

function at(c: ModelConfig, d: number, o: { rotation: Rotation; sliceHead: boolean; format: WeightFormat }) {
  // ratio chosen so that floor((1 − ratio)·D) = d exactly (round 1), whatever the float error
  const ratio = 1 - (d + 0.5) / c.hiddenSize;
  const shapes = slicedShapes(c, { ratio, round: 1, rotation: o.rotation, sliceHead: o.sliceHead });
  return { ratio: Math.max(0, 1 - d / c.hiddenSize), params: countParams(shapes).total, weightBytes: weightBytes(shapes, o.format).total };
}

/** Null for a dense model (its width is what it is) or a model narrower than one block. */
export function ggufRounding(c: ModelConfig, d: number, o: { rotation: Rotation; sliceHead: boolean; format: WeightFormat }): GgufRounding | null {
  const D = c.hiddenSize;
  if (d >= D || D < K_BLOCK) return null;
  const intermediateFits = c.intermediateSize % K_BLOCK === 0;
  const ffn = intermediateFits ? '' : `; ffn_down falls back anyway (MLP width ${c.intermediateSize} is not a multiple of ${K_BLOCK})`;
  if (d % K_BLOCK === 0) return { block: K_BLOCK, d, fits: true, choices: [], intermediateFits, line: `d = ${d} is a multiple of ${K_BLOCK}: K-quant GGUF exports keep their type${ffn}` };
  const here = at(c, d, o);
  const down = Math.floor(d / K_BLOCK) * K_BLOCK;
  const up = down + K_BLOCK;
  const choices = [down, up]
    .filter((x) => x >= K_BLOCK && x < D)
    .map((x) => {
      const p = at(c, x, o);
      return { d: x, ratio: p.ratio, params: p.params, weightBytes: p.weightBytes, deltaParams: p.params - here.params, deltaBytes: p.weightBytes - here.weightBytes };
    });
  const said = choices.map((ch) => `d = ${ch.d} (${(ch.ratio * 100).toFixed(1)} % sliced, ${ch.deltaParams >= 0 ? '+' : ''}${ch.deltaParams.toLocaleString('en-US')} parameters)`);
  return {
    block: K_BLOCK,
    d,
    fits: false,
    choices,
    intermediateFits,
    line:
      `d = ${d} is not a multiple of ${K_BLOCK}: Q4_K/Q5_K/Q6_K matrices with d-wide rows fall back to Q5_0/Q5_1/Q8_0 in GGUF` +
      (said.length ? `; ${said.join(' or ')} avoids it (--round ${K_BLOCK} rounds down; the ratio shown picks either)` : '') +
      ffn,
  };
}
