// What makes two block graphs different. Everything else (widths, batch, sequence length, the
// weights themselves) is a graph input with a symbolic shape, so one compiled session serves every
// layer of a model — and every sliced width SliceGPT produces — as long as the signature matches.
import type { Activation } from '../../model/config';
import type { AttentionWeights, Linear, MlpWeights, NormSpec } from '../../model/weights';
import type { ArchSpec } from '../../model/model-source';

export type NormSig = { kind: 'layernorm'; eps: number } | { kind: 'rmsnorm'; eps: number; divisor: number; weight: boolean };

export interface AttnCoreSig {
  heads: number;
  kvHeads: number;
  headDim: number;
  /** 0: no rotary embedding. */
  rotaryDim: number;
  bias: { q: boolean; k: boolean; v: boolean; o: boolean };
  /** Qwen3: q and k heads RMS-normalized with this eps (weights `q_norm.weight`, `k_norm.weight`) before RoPE. */
  qkNormEps?: number;
  /** Weights fed transposed (in × out) and multiplied by MatMul (see primitives.linear). */
  inOut?: boolean;
}

export interface MlpCoreSig {
  act: Activation;
  gated: boolean;
  bias: { gate: boolean; up: boolean; down: boolean };
  inOut?: boolean;
}

/**
 * `projection` (embed) / `vocab` (head): a sliced model's tied embedding, stored once (core/slicegpt/tied.ts).
 * `half`: activations, linear weights and the shortcut are float16 (calibration passes on a GPU EP;
 * see primitives.ts for what stays float32). Absent: everything float32.
 */
export type BlockSig =
  | { kind: 'embed'; positions: boolean; offset: number; projection?: true; half?: true }
  | { kind: 'attention'; norm: NormSig; attn: AttnCoreSig; shortcut: boolean; cache: boolean; half?: true }
  | { kind: 'mlp'; norm: NormSig; mlp: MlpCoreSig; shortcut: boolean; half?: true }
  | { kind: 'parallel'; norm: NormSig; attn: AttnCoreSig; mlp: MlpCoreSig; shortcut: boolean; cache: boolean; half?: true }
  | { kind: 'head'; norm: NormSig; bias: boolean; logits: boolean; targets: boolean; vocab?: true };

export function normSig(n: NormSpec): NormSig {
  return n.kind === 'layernorm' ? { kind: 'layernorm', eps: n.eps } : { kind: 'rmsnorm', eps: n.eps, divisor: n.divisor, weight: n.weight !== undefined };
}

export const hasBias = (l: Linear | undefined): boolean => l?.bias !== undefined;

export const sigKey = (s: BlockSig): string => JSON.stringify(s);

/** The attention core's signature for these weights; `inOut` when weights are fed transposed. */
export function attnSig(arch: ArchSpec, w: Omit<AttentionWeights, 'norm' | 'shortcut'>, inOut = false): AttnCoreSig {
  return {
    heads: arch.numHeads,
    kvHeads: arch.numKvHeads,
    headDim: arch.headDim,
    rotaryDim: arch.rope?.rotaryDim ?? 0,
    bias: { q: hasBias(w.q), k: hasBias(w.k), v: hasBias(w.v), o: hasBias(w.o) },
    ...(w.qkNorm ? { qkNormEps: w.qkNorm.eps } : {}),
    ...(inOut ? { inOut: true } : {}),
  };
}

/** The MLP core's signature for these weights; `inOut` when weights are fed transposed. */
export function mlpSig(arch: ArchSpec, w: Omit<MlpWeights, 'norm' | 'shortcut'>, inOut = false): MlpCoreSig {
  return { act: arch.activation, gated: w.gate !== undefined, bias: { gate: hasBias(w.gate), up: hasBias(w.up), down: hasBias(w.down) }, ...(inOut ? { inOut: true } : {}) };
}
