// The perplexities the runs DB holds for one model under the default protocol, as the planner's measured points:
// the dense model's (ppl runs of the folder), each slice's (ppl runs of a slice run's output, at its ratio) and
// each GGUF export's llama.cpp perplexity (export runs of the folder or of a slice, at their type).
import { resolve } from 'node:path';
import type { FormatId } from '../plan/formats';
import type { MeasuredPpl } from '../plan/combination';
import { DEFAULT_PPL_SEQLEN, DEFAULT_PPL_WINDOWS, pplProtocol, sameProtocol } from '../runtime/ppl-protocol';
import type { Store } from './store';

const GGUF_FORMAT: Record<string, FormatId> = { f16: 'fp16', q8_0: 'q8_0', q4_0: 'q4_0', q4_k: 'q4_k', q6_k: 'q6_k' };

/** The planner's format for an export's GGUF dtype (f16 → fp16), null for a type the planner has no row for. */
export const formatOfGgufDtype = (dtype: string): FormatId | null => GGUF_FORMAT[dtype] ?? null;

export function measuredPpls(store: Store, modelPath: string): MeasuredPpl[] {
  const model = resolve(modelPath);
  const protocol = pplProtocol('wikitext2', DEFAULT_PPL_SEQLEN, DEFAULT_PPL_WINDOWS);
  const ratioOf = new Map<string, number>([[model, 0]]);
  for (const s of store.listRuns({ kind: 'slice', status: 'done' })) {
    const st = s.settings as { model?: unknown; ratio?: unknown; out?: unknown };
    if (st.model === model && typeof st.out === 'string' && typeof st.ratio === 'number') ratioOf.set(resolve(st.out), st.ratio);
  }
  const out: MeasuredPpl[] = [];
  for (const kind of ['ppl', 'export'] as const) {
    for (const run of store.listRuns({ kind, status: 'done' })) {
      const st = run.settings as { model?: unknown; dtype?: unknown; format?: unknown };
      const ratio = typeof st.model === 'string' ? ratioOf.get(resolve(st.model)) : undefined;
      if (ratio === undefined) continue;
      const metric = kind === 'ppl' ? 'ppl' : 'ppl_llamacpp';
      const m = store.getRun(run.id)?.metrics.find((x) => x.name === metric && sameProtocol(x.protocol, protocol));
      if (!m) continue;
      const dtype = kind === 'ppl' ? null : st.format === 'gguf' ? formatOfGgufDtype(String(st.dtype ?? 'f16')) : null;
      if (kind === 'export' && dtype === null) continue;
      out.push({ ratio, dtype, ppl: m.value });
    }
  }
  return out;
}
