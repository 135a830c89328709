// Job kinds by name. A job is a plain async function of (ctx, params); the registry pairs it with a
// params validator so a malformed request is refused in the calling thread, before a worker starts.
// The worker imports this same module to find the function, so registering a kind here (one line in
// `kinds/index.ts`) is all it takes to make it runnable from every transport.
import type { JobContext } from '../base/job-context';
import type { Validator } from '../base/validate';
import type { ArtifactInput, LayerStatInput, MetricInput, RunKind } from '../store/types';

/** What the store keeps of a finished job besides its result: written by the service when the job is done. */
export interface RunRecords {
  metrics?: MetricInput[];
  layers?: LayerStatInput[];
  artifacts?: ArtifactInput[];
  /** Peak resident set size of the process that ran the job (bytes). */
  peakRss?: number;
  /** The execution provider that actually ran it. */
  ep?: string;
  /**
   * A second run to record beside this one: the dense model measured the same way as the sliced model
   * this run evaluated (its baseline, kept in the store so it is measured once per model and protocol).
   */
  baselineRun?: { kind: RunKind; name: string; settings: Record<string, unknown>; metrics: MetricInput[] };
}

/**
 * A job's params validator: checks what a caller sends (type `I`, e.g. optional fields) and returns the
 * params the job runs with (type `P`, defaults filled in). `input` is a phantom: it carries `I` for the
 * typed contract (kinds/index.ts), never a value.
 */
export type ParamsValidator<P, I = P> = Validator<P> & { readonly input?: I; /** The accepted fields (object()'s), which the CLI's flags are read from. */ readonly fields?: Record<string, Validator<unknown>> };

/** A params validator from the accepted shape and what fills in its defaults (checked ranges, resolved paths). */
export function paramsFrom<I, P>(describe: string, shape: Validator<I> & { readonly fields?: Record<string, Validator<unknown>> }, normalize: (p: I, where: string) => P): ParamsValidator<P, I> {
  return { describe, fields: shape.fields, check: (value, where) => normalize(shape.check(value, where), where) };
}

/** How one param is offered on the command line, where it is not simply `--<kebab-case key>` taking its value. */
export interface JobCliFlag {
  /** The flag's name (default: the key in kebab case). */
  flag?: string;
  /** The value's placeholder in the usage line (default from its kind: N, X, S, a|b). */
  value?: string;
  /** The range the CLI refuses outside of, in its own words ("--ratio must be a number from 0 to 0.99"). */
  min?: number;
  max?: number;
  /** Set by the app, not by a user (a slice's dense baseline…): no flag. */
  hidden?: boolean;
  /** A switch that sets the param to false (--raw: chat = false). */
  negate?: boolean;
  /** A path, made absolute from the caller's working directory. */
  path?: boolean;
  /** The command cannot run without it (though an API caller may leave it out): what it says when it is missing. */
  required?: string;
}

/** The command line's view of a job kind; every param not named here is a flag of its own. */
export interface JobCli {
  /** The param the one positional argument fills (default: `model`, when the job has one). */
  positional?: string | null;
  /** What the positional is, for "<kind> needs …" (default: a <key>). */
  positionalLabel?: string;
  /** The positional part of the usage line (default: <key>). */
  positionalUsage?: string;
  flags?: Record<string, JobCliFlag>;
}

export interface JobDefinition<P = unknown, R = unknown, I = P> {
  kind: string;
  /** Which kind of run the store records for it (the store keeps a closed list of run kinds). */
  runKind: RunKind;
  /** One line for help texts and the UI. */
  summary: string;
  params: ParamsValidator<P, I>;
  run(ctx: JobContext, params: P): Promise<R>;
  /** A display name for the run when the caller gives none. */
  describe?(params: P): string;
  /** The model folder the run is about, where there is one (recorded with the run). */
  modelPath?(params: P): string | undefined;
  /**
   * Fill in defaults that name the run (a slice's default output folder holds its run id). Called by the
   * runner once the run exists, before the worker starts; must be deterministic (the service calls it too,
   * to record the final settings).
   */
  prepare?(params: P, runId: number): P;
  /** Metrics, per-layer statistics and artifacts to store from the job's result. */
  records?(result: R): RunRecords;
  /** The execution provider the job will use (recorded with the run at start; its device is the job's queue). */
  ep?(params: P): string | undefined;
  /**
   * 'heavy' (default): one at a time per device; 'light': runs alongside (job-queue.ts). A kind that
   * neither loads a model nor fills memory is light.
   */
  load?: 'heavy' | 'light';
  /** Paths the job writes (its output folder or file): locked for the job's life (core/files/folder-lock.ts). */
  outputs?(params: P): string[];
  /** How the CLI offers the params (transports/cli/job-flags.ts reads flags, usage and parsing from them). */
  cli?: JobCli;
}

export class UnknownJobError extends Error {
  override name = 'UnknownJobError';
}

const jobs = new Map<string, JobDefinition>();

export function defineJob<P, R, I = P>(def: JobDefinition<P, R, I>): JobDefinition<P, R, I> {
  jobs.set(def.kind, def as unknown as JobDefinition);
  return def;
}

export function getJob(kind: string): JobDefinition {
  const def = jobs.get(kind);
  if (!def) throw new UnknownJobError(`unknown job kind "${kind}" (known: ${[...jobs.keys()].sort().join(', ')})`);
  return def;
}

export function jobKinds(): string[] {
  return [...jobs.keys()].sort();
}
