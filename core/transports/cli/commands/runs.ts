import type { RunStatus, RunSummary } from '../../../api/contract';
import { intFlag, stringFlag, UsageError } from '../args';
import type { Command } from '../command';

const STATUSES: RunStatus[] = ['running', 'done', 'failed', 'cancelled'];

function table(runs: RunSummary[]): string {
  if (runs.length === 0) return 'No runs yet.';
  const rows = runs.map((r) => [
    String(r.id),
    r.status,
    r.kind,
    r.startedAt.replace('T', ' ').slice(0, 19),
    r.seconds === null ? '' : `${r.seconds.toFixed(1)} s`,
    r.name + (r.error ? ` — ${r.error}` : ''),
  ]);
  const head = ['id', 'status', 'kind', 'started', 'took', 'name'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(head), ...rows.map(line)].join('\n');
}

export const runs: Command = {
  name: 'runs',
  usage: 'runs [--status running|done|failed|cancelled] [--kind K] [--limit N] [--json]',
  summary: 'Runs recorded in the store, newest first',
  flags: { values: ['status', 'kind', 'limit'] },
  async run(ctx) {
    const status = stringFlag(ctx.args, 'status');
    if (status !== undefined && !STATUSES.includes(status as RunStatus)) {
      throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
    }
    const list = await (await ctx.service()).listRuns({
      status: status as RunStatus | undefined,
      kind: stringFlag(ctx.args, 'kind'),
      limit: intFlag(ctx.args, 'limit', 1, 100_000),
    });
    ctx.out(ctx.json ? JSON.stringify(list, null, 2) : table(list));
    return 0;
  },
};
