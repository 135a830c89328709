// What the Try it view shows per model from the generate job's stream: each progress event carries one
// model's whole continuation so far (column 0: the dense model, 1: the slice), so the newest event per
// column is the text to show, and the finished result replaces it with the recorded numbers.
import type { GenerateJobResult, GeneratedText } from '../../../../core/jobs/kinds/generate';

export interface Column {
  text: string;
  tokens: number;
  tokensPerSecond: number | null;
  /** Set once the job is done: the recorded result for this model. */
  final: GeneratedText | null;
}

const empty = (): Column => ({ text: '', tokens: 0, tokensPerSecond: null, final: null });

export function columnsOf(data: Record<string, unknown>[], result: GenerateJobResult | null): [Column, Column] {
  const cols: [Column, Column] = [empty(), empty()];
  for (const d of data) {
    const i = d['column'];
    if ((i !== 0 && i !== 1) || typeof d['completion'] !== 'string') continue;
    cols[i] = { text: d['completion'], tokens: Number(d['tokens']) || 0, tokensPerSecond: typeof d['tokensPerSecond'] === 'number' ? d['tokensPerSecond'] : null, final: null };
  }
  if (result) {
    const finals = [result, result.compared] as const;
    finals.forEach((f, i) => {
      if (f) cols[i] = { text: f.completion, tokens: f.newTokens, tokensPerSecond: f.tokensPerSecond, final: f };
    });
  }
  return cols;
}

/** "12 tokens · 310.5 tokens/s" (live while streaming; the recorded speed once done). */
export function speedLine(c: Column): string {
  if (c.tokens === 0) return '—';
  const tps = c.tokensPerSecond === null || c.tokens < 2 ? '' : ` · ${c.tokensPerSecond.toFixed(1)} tokens/s`;
  return `${c.tokens} token${c.tokens === 1 ? '' : 's'}${tps}`;
}
