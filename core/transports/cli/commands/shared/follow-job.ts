// The CLI's one job follower: starts a job through the API, draws its progress as one live line on stderr
// (rewritten in place on a terminal, sparse lines otherwise), and turns its end into an exit code.
// --json keeps stderr quiet and leaves stdout to the command's single JSON document (jobJson), for every
// job command alike. Ctrl+C cancels the job (a slice keeps its checkpoint) and says how to continue.
import type { JobEvent, JobEndEvent } from '../../../../jobs/events';
import { isDoneOf, type JobInput, type JobKind, type JobResult } from '../../../../api/contract';
import type { CliContext } from '../../command';
import { LiveLine } from '../../live-line';

export class JobFailedError extends Error {
  override name = 'JobFailedError';
}

export interface Followed<K extends JobKind> {
  jobId: string;
  runId: number;
  end: JobEndEvent;
  /** 0 done, 130 cancelled (as a shell reports Ctrl+C). */
  code: number;
  result?: JobResult<K>;
}

export async function followJob<K extends JobKind>(ctx: CliContext, kind: K, start: () => Promise<{ jobId: string; runId: number }>, opts: { cancelHint?: (runId: number) => Promise<string> } = {}): Promise<Followed<K>> {
  const service = await ctx.service();
  const live = new LiveLine(ctx);
  let ids: { jobId: string; runId: number } | null = null;
  const early: JobEvent[] = [];
  let finish!: (e: JobEndEvent) => void;
  const ended = new Promise<JobEndEvent>((r) => (finish = r));
  const onEvent = (e: JobEvent) => {
    if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') return finish(e);
    if (ctx.json) return;
    if (e.type === 'progress') live.progress(e);
    else if (e.type === 'log') live.line(e.message);
  };
  const off = service.events.subscribe((ev) => {
    if (ev.channel !== 'job') return;
    const { channel: _c, ...e } = ev;
    if (!ids) early.push(e as JobEvent);
    else if (e.jobId === ids.jobId) onEvent(e as JobEvent);
  });
  let interrupted = false;
  const cancel = () => {
    interrupted = true;
    if (ids) void service.cancelJob(ids.jobId);
    if (!ctx.json) live.line('cancelling…');
  };
  process.on('SIGINT', cancel);
  try {
    ids = await start();
    if (interrupted) void service.cancelJob(ids.jobId);
    for (const e of early.splice(0)) if (e.jobId === ids.jobId) onEvent(e);
    const end = await ended;
    live.clear();
    if (end.type === 'failed') throw new JobFailedError(end.message);
    if (end.type === 'cancelled') {
      const hint = await opts.cancelHint?.(ids.runId).catch(() => undefined);
      if (!ctx.json) ctx.err(`cancelled (run ${ids.runId})${hint ? `; ${hint}` : ''}`);
      return { ...ids, end, code: 130 };
    }
    return { ...ids, end, code: 0, ...(isDoneOf(end, kind) ? { result: end.result } : {}) };
  } finally {
    live.clear();
    process.off('SIGINT', cancel);
    off();
  }
}

/** The --json document of a job command: ids, status and the job's result. */
export function jobJson<K extends JobKind>(f: Followed<K>, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ runId: f.runId, jobId: f.jobId, status: f.end.type, seconds: f.end.seconds, ...extra, ...(f.code === 0 ? { result: f.result } : {}) }, null, 2);
}

/**
 * A job command's whole run: start the job, follow it, then print the --json document or, once it is
 * done, what `report` makes of its result. Returns the follow-up (exit code, result) for commands whose
 * exit code depends on the result (verify-export's FAIL).
 */
export async function runJobCommand<K extends JobKind>(
  ctx: CliContext,
  kind: K,
  params: JobInput<K>,
  report: (r: JobResult<K>, f: Followed<K>) => Promise<string> | string,
  opts: { cancelHint?: (runId: number) => Promise<string> } = {},
): Promise<Followed<K>> {
  const service = await ctx.service();
  const f = await followJob(ctx, kind, () => service.startJob({ kind, params }), opts);
  if (ctx.json) ctx.out(jobJson(f));
  else if (f.code === 0 && f.result !== undefined) ctx.out(await report(f.result, f));
  return f;
}
