import type { Command } from '../command';
import { jobCommand } from './shared/job-command';
import { bytes, fmt, params, table } from './shared/format';

export const bench: Command = jobCommand('bench', {
  summary: 'Speed with a KV cache: prefill tokens/s and decode ms/token at batch 1 and N, peak memory',
  report: (r, f) =>
    [
      table(
        ['batch', 'prefill tokens/s', 'decode ms/token', 'decode tokens/s'],
        r.results.map((b) => [String(b.batch), fmt(b.prefill.tokensPerSecond, 0), fmt(b.decode.msPerToken, 2), fmt(b.decode.tokensPerSecond, 0)]),
      ),
      `prompt ${r.promptTokens} tokens, ${r.newTokens} new tokens, median of ${r.repeats}; peak memory ${bytes(r.peakRssBytes)}; ` + `d = ${r.model.d}, ${params(r.model.params)} parameters on ${r.ep} — run ${f.runId}`,
    ].join('\n'),
});
