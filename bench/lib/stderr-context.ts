// The job context a benchmark hands to core: its log and progress go to stderr (stdout and bench/results/
// carry the numbers), never cancelled.
import type { JobContext } from '../../core/base/job-context';

export interface StderrContextOptions {
  /** Prefix of every line, as `[label] `. */
  label?: string;
  /** Print progress at most this often (and at 'done'); no progress lines without it. */
  progressEveryMs?: number;
}

export function stderrContext(o: StderrContextOptions = {}): JobContext {
  const prefix = o.label ? `[${o.label}] ` : '';
  let last = 0;
  return {
    signal: new AbortController().signal,
    log: (m) => process.stderr.write(`${prefix}${m}\n`),
    progress: (p) => {
      if (o.progressEveryMs === undefined) return;
      const now = performance.now();
      if (now - last < o.progressEveryMs && p.phase !== 'done') return;
      last = now;
      const layer = p.layer !== undefined ? ` layer ${p.layer + 1}/${p.layers}` : '';
      const fraction = p.fraction !== undefined ? ` ${(100 * p.fraction).toFixed(1)}%` : '';
      const eta = p.etaSeconds !== undefined ? `, eta ${Math.round(p.etaSeconds)} s` : '';
      process.stderr.write(`${prefix}${p.phase}${layer}${fraction}${p.message ? ` ${p.message}` : ''}${eta}\n`);
    },
  };
}
