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

const DIMENSION_MAPS = ['attention_input_dimensions', 'attention_output_dimensions', 'mlp_input_dimensions', 'mlp_output_dimensions'] as const;

/** Validate a parsed slicing_config.json enough that a loader can trust it: every width a whole number within D. */
export function parseSlicingConfig(raw: unknown): SlicingConfigJson {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SlicedModelError('slicing_config.json is not a JSON object');
  const o = raw as Record<string, unknown>;
  const hidden = o.hidden_size;
  if (!(Number.isInteger(hidden) && (hidden as number) >= 1 && (hidden as number) <= 65_536)) throw new SlicedModelError('slicing_config.json has no valid hidden_size (a whole number from 1 to 65,536)');
  const layers = o.layers_num;
  if (!(Number.isInteger(layers) && (layers as number) >= 1 && (layers as number) <= 1_000)) throw new SlicedModelError('slicing_config.json has no valid layers_num (a whole number from 1 to 1,000)');
  const D = hidden as number;
  const width = (v: unknown, where: string): void => {
    if (!(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= D)) throw new SlicedModelError(`slicing_config.json: ${where} must be a whole number from 1 to hidden_size ${D}`);
  };
  const widths = (k: string, required: boolean): void => {
    const v = o[k];
    if (v === undefined && !required) return;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new SlicedModelError(`slicing_config.json has no ${k} object`);
    const entries = Object.entries(v);
    if (entries.length > (layers as number) + 2) throw new SlicedModelError(`slicing_config.json: ${k} has more entries than layers`);
    for (const [i, w] of entries) width(w, `${k}[${JSON.stringify(i).slice(0, 20)}]`);
  };
  for (const k of DIMENSION_MAPS) widths(k, true);
  widths('embedding_dimensions', false);
  for (const k of ['head_dimension', 'const_dimension'] as const) if (o[k] !== undefined && o[k] !== null) width(o[k], k);
  for (const k of ['do_slice_head', 'parallel_blocks'] as const) if (o[k] !== undefined && typeof o[k] !== 'boolean') throw new SlicedModelError(`slicing_config.json: ${k} must be true or false`);
  return o as unknown as SlicingConfigJson;
}
