// Runs one job from the CLI the way every transport does: startJob, then follow its events. Human mode
// draws progress on stderr (one live line; sparse lines when piped); --json prints every event as a JSON line on stdout. Ctrl+C cancels the job.
import type { JobEvent } from '../../jobs/events';
import type { CliContext } from './command';
import { LiveLine } from './live-line';

export class JobFailedError extends Error {
  override name = 'JobFailedError';
}

export async function runJobFromCli(ctx: CliContext, kind: string, params: Record<string, unknown>): Promise<{ code: number; result?: unknown }> {
  const service = await ctx.service();
  let jobId = '';
  const pending: JobEvent[] = [];
  let finish!: (e: JobEvent) => void;
  const ended = new Promise<JobEvent>((r) => (finish = r));
  const live = new LiveLine(ctx);
  const onEvent = (e: JobEvent) => {
    if (ctx.json) ctx.out(JSON.stringify(e));
    else if (e.type === 'progress') live.progress(e);
    else if (e.type === 'log') live.line(e.message);
    if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') {
      live.clear();
      finish(e);
    }
  };
  // Events can arrive before startJob returns the id: hold them until it is known.
  const off = service.events.subscribe((e) => {
    if (e.channel !== 'job') return;
    const { channel: _c, ...je } = e;
    const ev = je as JobEvent;
    if (!jobId) pending.push(ev);
    else if (ev.jobId === jobId) onEvent(ev);
  });
  const cancel = () => void service.cancelJob(jobId);
  process.once('SIGINT', cancel);
  try {
    ({ jobId } = await service.startJob({ kind, params }));
    for (const e of pending.splice(0)) if (e.jobId === jobId) onEvent(e);
    const end = await ended;
    if (end.type === 'failed') throw new JobFailedError(end.message);
    if (end.type === 'cancelled') return { code: 130 };
    return { code: 0, result: end.type === 'done' ? end.result : undefined };
  } finally {
    process.off('SIGINT', cancel);
    off();
  }
}
