// An adapter says where a family keeps each canonical weight, as name templates ({i} = layer index).
// A linear is named by its prefix (`….weight`, `….bias`); a norm likewise. Nothing here reads
// tensors: core/model/source.ts turns a spec and a folder into canonical weights.
import type { ModelConfig } from '../config';

export interface LinearNames {
  /** Prefix: `${p}.weight` (out × in) and, when the family has one, `${p}.bias`. */
  p: string;
  /** Whether the bias must exist (a present bias is read either way). */
  bias: boolean;
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
  positions?: string;
  layer: SequentialLayerNames | ParallelLayerNames;
  finalNorm: NormNames;
  /** The LM head; when absent from the folder and tied, the token embedding is copied. */
  lm: LinearNames;
}

export type Adapter = (c: ModelConfig) => AdapterSpec;
