import type { RunKind, RunStatus, RunSummary } from '../../../api/contract';
import { intFlag, stringFlag, UsageError } from '../args';
import type { Command } from '../command';

const STATUSES: RunStatus[] = ['queued', 'running', 'done', 'failed', 'cancelled'];
const KINDS: RunKind[] = ['slice', 'ppl', 'eval', 'bench', 'export', 'generate'];

function took(r: RunSummary): string {
  if (!r.startedAt || !r.finishedAt) return '';
  return `${((Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000).toFixed(1)} s`;
}

function table(runs: RunSummary[]): string {
  if (runs.length === 0) return 'No runs yet.';
  const rows = runs.map((r) => [
    String(r.id),
    r.status,
    r.kind,
    (r.startedAt ?? r.createdAt).replace('T', ' ').slice(0, 19),
    took(r),
    r.name + (r.error ? ` — ${r.error}` : ''),
  ]);
  const head = ['id', 'status', 'kind', 'started', 'took', 'name'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], flag: string): T | undefined {
  if (value !== undefined && !allowed.includes(value as T)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}`);
  return value as T | undefined;
}

export const runs: Command = {
  name: 'runs',
  usage: 'runs [--status S] [--kind K] [--limit N] [--json]',
  summary: 'Runs recorded in the store, newest first',
  flags: { values: ['status', 'kind', 'limit'] },
  async run(ctx) {
    const list = await (await ctx.service()).listRuns({
      status: oneOf(stringFlag(ctx.args, 'status'), STATUSES, 'status'),
      kind: oneOf(stringFlag(ctx.args, 'kind'), KINDS, 'kind'),
      limit: intFlag(ctx.args, 'limit', 1, 100_000),
    });
    ctx.out(ctx.json ? JSON.stringify(list, null, 2) : table(list));
    return 0;
  },
};
