// The one residual width of a slice made with `--rotation uniform` — what runtimes with a fixed dense graph
// (llama.cpp, transformers) need: a per-layer slice has several widths and shortcut matrices between them.
import type { SlicedModelSource } from '../slicegpt/sliced-source';

/** d of a uniform slice; `refuse(widths)` builds the one-line error for a per-layer one. */
export function uniformWidth(src: SlicedModelSource, refuse: (widths: string) => Error): number {
  const s = src.slicing as Record<string, unknown>;
  const dims = ['embedding_dimensions', 'attention_input_dimensions', 'attention_output_dimensions', 'mlp_input_dimensions', 'mlp_output_dimensions'].flatMap((k) => Object.values((s[k] ?? {}) as Record<string, number>));
  const head = s.head_dimension as number | null;
  const widths = new Set([...dims, ...(head === null || head === undefined ? [src.config.hiddenSize] : [head])]);
  if (widths.size !== 1) throw refuse([...widths].join('/'));
  return [...widths][0];
}
