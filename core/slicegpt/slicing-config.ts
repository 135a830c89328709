// `slicing_config.json`: the reference implementation's SlicingConfig (microsoft/TransformerCompression,
// model_adapter.py), serialised as its dataclass fields with per-index dicts keyed by decimal strings.
import type { SliceSchedule } from './schedule';
import { SlicedModelError } from './errors';

export interface SlicingConfigJson {
  hidden_size: number;
  layers_num: number;
  do_slice_head: boolean;
  parallel_blocks: boolean;
  /** Per embedding table (0 = tokens, 1 = positions where the model has them). */
  embedding_dimensions: Record<string, number>;
  attention_input_dimensions: Record<string, number>;
  attention_output_dimensions: Record<string, number>;
  mlp_input_dimensions: Record<string, number>;
  mlp_output_dimensions: Record<string, number>;
  head_dimension: number | null;
  const_dimension: number | null;
}

const byIndex = (xs: number[]): Record<string, number> => Object.fromEntries(xs.map((v, i) => [String(i), v]));

export function toSlicingConfig(s: SliceSchedule, embeddingTables: number): SlicingConfigJson {
  return {
    hidden_size: s.hiddenSize,
    layers_num: s.layers,
    do_slice_head: s.sliceHead,
    parallel_blocks: s.parallelBlocks,
    embedding_dimensions: byIndex(new Array(embeddingTables).fill(s.embedding)),
    attention_input_dimensions: byIndex(s.perLayer.map((l) => l.attnInput)),
    attention_output_dimensions: byIndex(s.perLayer.map((l) => l.attnOutput)),
    mlp_input_dimensions: byIndex(s.perLayer.map((l) => l.mlpInput)),
    mlp_output_dimensions: byIndex(s.perLayer.map((l) => l.mlpOutput)),
    head_dimension: s.head,
    const_dimension: s.d,
  };
}

/** Validate a parsed slicing_config.json enough that a loader can trust it. */
export function parseSlicingConfig(raw: unknown): SlicingConfigJson {
  const o = raw as Partial<SlicingConfigJson> | null;
  if (!o || typeof o !== 'object') throw new SlicedModelError('slicing_config.json is not a JSON object');
  for (const k of ['hidden_size', 'layers_num'] as const)
    if (!Number.isInteger(o[k])) throw new SlicedModelError(`slicing_config.json has no integer ${k}`);
  for (const k of ['attention_input_dimensions', 'attention_output_dimensions', 'mlp_input_dimensions', 'mlp_output_dimensions'] as const) {
    const v = o[k];
    if (!v || typeof v !== 'object') throw new SlicedModelError(`slicing_config.json has no ${k}`);
  }
  return o as SlicingConfigJson;
}
