import type { Command } from '../command';
import { jobCommand } from './shared/job-command';
import { bytes, fmt, params, table } from './shared/format';

export const bench: Command = jobCommand('bench', {
  summary: 'Speed with a KV cache: prefill tokens/s at batch 1 and B, decode ms/token at batch 1 and B′, peak memory',
  report: (r, f) =>
    [
      table(
        ['shape', 'batch', 'prompt', 'tokens/s', 'ms/token'],
        [
          ...r.prefill.map((b) => ['prefill', String(b.batch), String(b.promptTokens), fmt(b.tokensPerSecond!, 0), '']),
          ...r.decode.map((b) => [`decode ${b.steps}`, String(b.batch), String(b.promptTokens), fmt(b.tokensPerSecond!, 0), fmt(b.msPerToken!, 2)]),
        ],
      ),
      `median of ${r.shapes.repeats}; peak memory ${bytes(r.peakRssBytes)}; ` + `d = ${r.model.d}, ${params(r.model.params)} parameters on ${r.ep} — run ${f.runId}`,
    ].join('\n'),
});
