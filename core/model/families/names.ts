// An adapter says where a family keeps each canonical weight, as name templates ({i} = layer index).
// A linear is named by its prefix (`….weight`, `….bias`); a norm likewise. Nothing here reads
// tensors: core/model/source.ts turns a spec and a folder into canonical weights.
import type { ModelConfig } from '../config-shape';

export interface LinearNames {
  /** Prefix: `${p}.weight` (out × in) and, when the family has one, `${p}.bias`. */
  p: string;
  /** Whether the bias must exist (a present bias is read either way). */
  bias: boolean;
  /** A part of a fused tensor (Phi-3's qkv_proj, gate_up_proj): rows [start, end) of `p`'s `total` rows. */
  fused?: FusedPart;
}

export interface FusedPart {
  start: number;
  end: number;
  total: number;
  /** The part's own name (`self_attn.q_proj`): the sliced format stores parts apart, as the unfused families do. */
  as: string;
}

export interface NormNames {
  p: string;
}

export interface SequentialLayerNames {
  kind: 'sequential';
  attnNorm: NormNames;
  q: LinearNames;
  k: LinearNames;
  v: LinearNames;
  o: LinearNames;
  /** Qwen3's per-head RMSNorms of q and k (weights of headDim). */
  qNorm?: NormNames;
  kNorm?: NormNames;
  mlpNorm: NormNames;
  gate?: LinearNames;
  up: LinearNames;
  down: LinearNames;
}

export interface ParallelLayerNames {
  kind: 'parallel';
  norm: NormNames;
  q: LinearNames;
  k: LinearNames;
  v: LinearNames;
  o: LinearNames;
  up: LinearNames;
  down: LinearNames;
}

export interface AdapterSpec {
  tokens: string;
  /** Layer i's prefix (`{i}` = the index): every layer template starts with it, and the sliced format keeps its shortcuts under it. */
  layers: string;
  positions?: string;
  layer: SequentialLayerNames | ParallelLayerNames;
  finalNorm: NormNames;
  /** The LM head; when absent from the folder and tied, the token embedding is copied. */
  lm: LinearNames;
}

export type Adapter = (c: ModelConfig) => AdapterSpec;

/** q, k, v (`self_attn.{q,k,v}_proj`, the name every supported family uses) and the output projection. */
export function attentionNames(layers: string, o: string, qkvBias: boolean, oBias: boolean): Pick<SequentialLayerNames, 'q' | 'k' | 'v' | 'o'> {
  const a = `${layers}.self_attn`;
  return { q: { p: `${a}.q_proj`, bias: qkvBias }, k: { p: `${a}.k_proj`, bias: qkvBias }, v: { p: `${a}.v_proj`, bias: qkvBias }, o: { p: `${a}.${o}`, bias: oBias } };
}

/** A linear's name inside its layer (`self_attn.q_proj`), for the sliced format and its README. */
export const inLayer = (spec: AdapterSpec, l: LinearNames | NormNames): string => ('fused' in l && l.fused ? `${spec.layers}.${l.fused.as}` : l.p).slice(spec.layers.length + 1);
