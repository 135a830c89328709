// What every model looks like to the rooms that run it: its architecture in the terms the block graphs
// need, and its weights produced one piece at a time. Declared here, where both implementations live (the
// dense folder in source.ts, the sliced folder in slicegpt/sliced-source.ts); runtime/ only consumes it.
import type { ModelConfig } from './config';
import type { EmbeddingWeights, HeadWeights, LayerWeights } from './weights';

/** What the block graphs need to know that is not in the weights (derived from ModelConfig). */
export interface ArchSpec {
  numHeads: number;
  numKvHeads: number;
  headDim: number;
  /** null: no rotary embedding (learned positions, opt). rotaryDim < headDim: partial rotary (phi). */
  rope: { theta: number; rotaryDim: number; llama3?: Llama3Rope } | null;
  /** Qwen3: q and k are RMS-normalized per head (weights of headDim) before RoPE. */
  qkNorm?: boolean;
  activation: ModelConfig['activation'];
  gatedMlp: boolean;
  parallelBlocks: boolean;
}

/** Llama-3.x's `rope_type: "llama3"` (rope_scaling's factors; runtime/rope.ts applies them). */
export interface Llama3Rope {
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPositions: number;
}

/** A model's weights, produced one piece at a time (dense HF folder or a sliced folder). */
/**
 * Widens one linear's 16-bit weights as model/bf16-bits.ts widenBf16/widenF16 would (the same values; what they
 * remember about the array, or what it was remembered for, registered where it is looked up): `bits` over a plain
 * ArrayBuffer of its own, which the hook may transfer (the caller never touches it again). `reads`: the scale of the
 * RMSNorm whose output the linear reads (it has no bias), for a hook that folds it too (slicegpt/fuse.ts).
 */
export type WidenHook = (bits: Uint16Array, dtype: 'BF16' | 'F16', reads?: Float32Array) => Promise<Float32Array>;

export interface ModelSource {
  readonly config: ModelConfig;
  readonly arch: ArchSpec;
  readonly folder: string;
  embedding(): Promise<EmbeddingWeights>;
  /**
   * `o.turn`, awaited before each tensor is read: background readers yield to work that must not wait (base/quiet.ts).
   * `o.widen`: a source that reads 16-bit linears may hand their bits to it instead of widening them itself (and then
   * reads the layer's linears concurrently).
   */
  layer(i: number, o?: { turn?: () => Promise<void>; widen?: WidenHook }): Promise<LayerWeights>;
  head(): Promise<HeadWeights>;
}
