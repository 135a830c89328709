// A recovery next to what it recovered: dense → sliced → recovered, per number both ends measured.
// The recovered column is the recovery run's own numbers (its output's evaluations), the sliced column
// the slice run it trained (its parent), the dense column the dense model's under the recovered
// numbers' protocol and item counts (its baseline: core/eval/dense-baseline.ts follows the chain).
import { fmt, protocolLabel, type RunFacts } from '../../lib/run-facts';
import { taskName } from '../../lib/tasks';

export interface ChainRow {
  key: string;
  label: string;
  dense: string;
  sliced: string;
  recovered: string;
}

export interface RecoveryChain {
  recovery: RunFacts;
  slice: RunFacts | null;
  rows: ChainRow[];
  /** Said when the slice's perplexity was measured under another protocol than the recovered one's. */
  note: string | null;
}

export const isRecovery = (r: Pick<RunFacts, 'job'>): boolean => r.job === 'recover';

export function recoveryChain(recovery: RunFacts, all: readonly RunFacts[]): RecoveryChain {
  const slice = all.find((r) => r.id === recovery.parentRunId && r.kind === 'slice') ?? null;
  const base = recovery.baseline;
  const tasks = [...new Set([...Object.keys(recovery.tasks), ...Object.keys(slice?.tasks ?? {})])].sort();
  const rows: ChainRow[] = [
    { key: 'perplexity', label: 'Perplexity', dense: fmt.ppl(base?.perplexity?.value ?? null), sliced: fmt.ppl(slice?.perplexity ?? null), recovered: fmt.ppl(recovery.perplexity) },
    ...tasks.map((t) => ({ key: `acc-${t}`, label: taskName(t), dense: fmt.acc(base?.tasks[t]?.value ?? null), sliced: fmt.acc(slice?.tasks[t] ?? null), recovered: fmt.acc(recovery.tasks[t] ?? null) })),
  ];
  if (tasks.length) rows.push({ key: 'accuracy', label: 'Average accuracy', dense: fmt.acc(base?.avgAccuracy ?? null), sliced: fmt.acc(slice?.avgAccuracy ?? null), recovered: fmt.acc(recovery.avgAccuracy) });
  const p = recovery.pplProtocol;
  const q = slice?.pplProtocol ?? null;
  const note = p && q && protocolLabel(p) !== protocolLabel(q) ? `The slice's perplexity was measured on ${protocolLabel(q)}, the recovered one's on ${protocolLabel(p)}: not comparable.` : null;
  return { recovery, slice, rows, note };
}
