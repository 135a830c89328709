// A CLI command that runs one job kind: its flags, usage line and params come from the JOBS table (job-flags.ts);
// the command adds only what is its own — rules between flags, how the result reads. With nothing added, a job
// kind still gets a working command: its result printed as JSON.
import type { FlagSpec } from '../../args';
import type { CliContext, Command } from '../../command';
import { JOBS, type JobInput, type JobKind, type JobResult } from '../../../../jobs/kinds/index';
import { jobFlagSpec, jobParamsFromArgs, jobUsage } from '../../job-flags';
import { runJobCommand, type Followed } from './follow-job';

export interface JobCommandOptions<K extends JobKind> {
  /** The command's name (default: the kind's). */
  name?: string;
  /** One line for help (default: the kind's summary in the table). */
  summary?: string;
  /** Flags of the command itself, beside the table's. */
  flags?: FlagSpec;
  /** Checks between flags and params the table cannot say (may throw a UsageError); returns the params to send. */
  params?(p: Record<string, unknown>, ctx: CliContext): Record<string, unknown> | Promise<Record<string, unknown>>;
  /** The human-readable result (default: the result as JSON). */
  report?(r: JobResult<K>, f: Followed<K>, ctx: CliContext, p: JobInput<K>): Promise<string> | string;
  /** What Ctrl+C prints besides the cancellation (how to resume). */
  cancelHint?(ctx: CliContext, p: JobInput<K>): (runId: number) => Promise<string>;
  /** The exit code from the follow-up (default: its own). */
  exitCode?(f: Followed<K>, ctx: CliContext): number;
}

export function jobCommand<K extends JobKind>(kind: K, o: JobCommandOptions<K> = {}): Command {
  const name = o.name ?? kind;
  return {
    name,
    usage: jobUsage(kind, name),
    summary: o.summary ?? JOBS[kind].summary,
    flags: jobFlagSpec(kind, o.flags),
    async run(ctx) {
      const given = jobParamsFromArgs(kind, ctx.args);
      const p = (o.params ? await o.params(given, ctx) : given) as JobInput<K>;
      const report = o.report ?? ((r: JobResult<K>) => JSON.stringify(r, null, 2));
      const f = await runJobCommand(ctx, kind, p, (r, f) => report(r, f, ctx, p), o.cancelHint ? { cancelHint: o.cancelHint(ctx, p) } : {});
      return o.exitCode ? o.exitCode(f, ctx) : f.code;
    },
  };
}
