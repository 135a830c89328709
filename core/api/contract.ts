// THE contract between Slice Studio's core and every client (Electron IPC, HTTP/WebSocket, CLI).
// One table, `API_METHODS`, lists each method with a validator per positional argument and its result
// type; the `SliceStudioApi` interface is derived from it, so adding a method is one entry here (plus its
// implementation in service.ts, which the compiler then demands). Transports never hand-roll payload
// checks: they call `callApi` (dispatch.ts), which validates with this table.
//
// Long-running work (ppl, slice, eval, export, bench…) is a job: `startJob` returns at once with ids, the
// job reports `JobEvent`s (progress with phase/layer/fraction/eta, logs, and exactly one of done / failed /
// cancelled) through the transport's event channel, and `cancelJob` stops it.
import type { HardwareReport } from '../hardware/types';
import type { ModelInspection } from '../model/inspect';
import type { JobInfo } from '../jobs/runner';
import type { Estimate, PlanHardware, PlanResult, SlicePrediction } from '../plan/index';
import type { CombinationPlan } from '../plan/combination';
import type { Resumability } from './resumability';
import type { Catalog } from './catalog';
import type { TrainRate, TrainRateNotMeasured } from '../recover/rate-probe';
import type { ApiEvent } from './events';
import type { JobDoneEvent, JobEvent, JobId, RunId } from '../jobs/events';
import type { JobInput, JobKind, JobParams, JobResult } from '../jobs/kinds/index';
import { array, boolean, integer, literal, nonEmptyString, type Infer, number, object, optional, PayloadError, positiveInteger, record, type Validator } from '../base/validate';
import type { ArgSpec, ArgsOf } from './args';

export type { ApiEvent, StateEvent } from './events';
export type { JobEvent, JobId, RunId } from '../jobs/events';
export type { HardwareReport } from '../hardware/types';
export type { ModelInspection } from '../model/inspect';
export type { JobInfo } from '../jobs/runner';
export type { Estimate, PlanHardware, PlanResult } from '../plan/index';
export type { Resumability } from './resumability';
export type { JobInput, JobKind, JobParams, JobResult } from '../jobs/kinds/index';
export type { Catalog, FamilyInfo } from './catalog';

// Runs and models are the store's rows, as stored (JSON columns parsed): the contract does not re-shape them.
export type { RunRow as RunSummary, RunDetail, ModelRow as RecentModel, RunStatus, RunKind } from '../store/types';
import type { RunRow as RunSummary, RunDetail, ModelRow as RecentModel, RunStatus, RunKind, MetricRow } from '../store/types';
import type { BaselineNumbers, OwnNumbers } from '../eval/dense-baseline';
import { RUN_KINDS } from '../store/types';
import { storedParams } from '../jobs/run-params';

export interface AppInfo {
  version: string;
  /** Where the store and outputs live. */
  dataDir: string;
  /** The bundled demo model folder, or null when it is not installed. */
  demoModelPath: string | null;
  /** Job kinds this build can run. */
  jobKinds: string[];
}

export const runFilter = object({
  status: optional(literal('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
  kind: optional(literal(...RUN_KINDS)),
  modelId: optional(positiveInteger),
  parentRunId: optional(positiveInteger),
  limit: optional(positiveInteger),
  offset: optional(integer),
});
export type RunFilter = ReturnType<typeof runFilter.check>;
// Compile-time guard: the filter's literals must list exactly the store's kinds and statuses.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const filterMatchesStore: [Same<NonNullable<RunFilter['status']>, RunStatus>, Same<NonNullable<RunFilter['kind']>, RunKind>] = [true, true];
void filterMatchesStore;

// A job's params are validated once, by its kind's own validator (core/jobs/kinds/index.ts) in the service,
// which also knows the kinds a test or plug-in registered; the contract checks the envelope.
export const jobSpec = object({ kind: nonEmptyString, params: optional(record), name: optional(nonEmptyString) });
export type JobSpecPayload = ReturnType<typeof jobSpec.check>;
/** What startJob takes, typed by the job table: the kind, what its validator accepts, a display name. */
export interface JobSpec<K extends JobKind = JobKind> {
  kind: K;
  params?: JobInput<K>;
  name?: string;
}
/** A job's `done` event, its result typed by its kind. */
export type JobDone<K extends JobKind> = JobDoneEvent & { kind: K; result: JobResult<K> };

/**
 * Whether `e` is the end of a job of kind `kind` with its result: the one place a job result gets its
 * type (the runner sends what the kind's run returned).
 */
export function isDoneOf<K extends JobKind>(e: JobEvent, kind: K): e is JobDone<K> {
  return e.type === 'done' && e.kind === kind;
}

/**
 * The params a stored run of job `kind` ran with (its settings less what the app adds beside them,
 * core/jobs/run-params.ts), or null for a run of another job. The job's validator checks them again on use.
 */
export function runParamsOf<K extends JobKind>(run: { kind: string; settings: Record<string, unknown> }, kind: K): JobParams<K> | null {
  const job = typeof run.settings.job === 'string' ? run.settings.job : run.kind;
  return job === kind ? (storedParams(run.settings) as JobParams<K>) : null;
}

/**
 * A stored run's result as its job returned it, when the run is of that job: its settings name the job
 * (store-recorder.ts), or, in runs recorded before they did, its run kind is the job's name.
 */
export function runResultOf<K extends JobKind>(run: { kind: string; settings: Record<string, unknown>; result: unknown }, kind: K): JobResult<K> | null {
  const job = typeof run.settings.job === 'string' ? run.settings.job : run.kind;
  return job === kind && run.result !== null && run.result !== undefined ? (run.result as JobResult<K>) : null;
}

/** `gpus` for planModel: 'auto' (the detected GPUs, or the CPU's RAM when there are none) or sizes in GB (GiB). */
const gpuChoice: Validator<'auto' | number[]> = {
  describe: `"auto" or a list of GPU sizes in GB`,
  check(value, where) {
    if (value === 'auto') return 'auto';
    if (!Array.isArray(value)) throw new PayloadError(`${where} must be "auto" or a list of GPU sizes in GB, e.g. [24, 24]`);
    const sizes = array(number).check(value, where);
    for (const [i, gb] of sizes.entries()) if (!(gb > 0 && gb <= 4096)) throw new PayloadError(`${where}[${i}] must be a GPU size in GB from 0 to 4096 (got ${gb})`);
    return sizes;
  },
};

export const planOptions = object({
  gpus: optional(gpuChoice),
  format: optional(nonEmptyString),
  ctx: optional(positiveInteger),
  batch: optional(positiveInteger),
  ratio: optional(number),
  round: optional(positiveInteger),
  sliceHead: optional(boolean),
  /** Calibration samples and length, for the slicing job's predicted cost (default 128 × 2048). */
  nsamples: optional(positiveInteger),
  seqlen: optional(positiveInteger),
  /** The execution provider the slice will run on (default: the one hardware detection chose; 'webgpu' for given GPU sizes). */
  ep: optional(nonEmptyString),
  /** GiB of calibration activations kept on the GPU, as the slice's --vram-gb (default: the slice job's, half the largest GPU). */
  vramGb: optional(number),
  /** The most RAM (GiB) the slice may use, as the slice's --ram-gb (default: the free RAM the plan is for). */
  ramGb: optional(number),
});
export type PlanModelOptions = ReturnType<typeof planOptions.check>;

export interface PlanModelResult {
  plan: PlanResult;
  /** The live estimate at `opts.ratio` (the wizard's slider), or null when no ratio was given. */
  estimate: Estimate | null;
  /** What the plan was made for: the detected GPUs and free RAM ('auto'), or the given sizes. */
  hardware: PlanHardware;
  /** What slicing at opts.ratio (else the planned ratio, else 25 %) will cost: time, RAM, VRAM, disk (core/plan/predict.ts). */
  slicing: SlicePrediction & {
    /** The activations budget on the GPU the prediction used (--vram-gb or the slice job's default); null on the CPU EP. */
    deviceBudgetBytes: number | null;
    /** The slice job's own refusal for these budgets (plan/budget.ts, as its preflight says it), or null when it fits. */
    refusal: string | null;
  };
  /** The (ratio, GGUF type) that fits with the best expected quality, and every type's smallest fitting ratio (core/plan/combination.ts). */
  combination: CombinationPlan;
}

/** A run as the comparison view needs it: everything stored about it, plus its parent's key metrics. */
export interface ComparedRun extends RunDetail {
  /** The run it derives from (a slice's dense baseline, an evaluation's slice), or null. */
  parent: { id: RunId; name: string; kind: RunKind; status: RunStatus; metrics: MetricRow[] } | null;
  /** The run's own numbers (a slice: its newest evaluations'), each perplexity with its protocol. */
  own: OwnNumbers;
  /** The dense model's numbers under the same protocol and tasks (runs about a slice), or null. */
  baseline: (BaselineNumbers & { dense: string }) | null;
}

const runIds: Validator<RunId[]> = {
  describe: 'a non-empty array of run ids',
  check(value, where) {
    const ids = array(positiveInteger).check(value, where);
    if (ids.length === 0) throw new PayloadError(`${where} must list at least one run id`);
    return ids;
  },
};

/** Phantom marker for a method's result type (no runtime cost). */
const returns = <T>() => null as unknown as T;

interface MethodSpec<A extends ArgSpec = ArgSpec, R = unknown> {
  args: A;
  result: R;
  /** One line, shown by `slice-studio help` style listings and in docs. */
  summary: string;
}

const method = <const A extends ArgSpec, R>(summary: string, args: A, result: R): MethodSpec<A, R> => ({
  summary,
  args,
  result,
});

const runId: Validator<RunId> = positiveInteger;
/** What a resume may change: only what the checkpoint's key leaves out (a slice's --vram-gb; --batch-size would start over). */
const resumeOverrides = object({ vramGb: optional(number) });
export type ResumeOverrides = Infer<typeof resumeOverrides>;

export const API_METHODS = {
  getAppInfo: method('Version, data directory, demo model and job kinds', [], returns<AppInfo>()),
  catalog: method('Model families, zero-shot tasks, export formats and named datasets the engine supports', [], returns<Catalog>()),
  getHardware: method('Detected GPUs, CPU, RAM, disk and execution providers (cached; refresh=true probes again)', [['refresh', optional(boolean)]], returns<HardwareReport>()),
  recoverRate: method(
    "This machine's LoRA training rate (both training steps timed on the bundled tiny model), measured once and stored with the hardware snapshot; refresh=true measures again. While a job runs it is not measured ({ notMeasured: why }): the job would share the cores",
    [['refresh', optional(boolean)]],
    returns<TrainRate | TrainRateNotMeasured>(),
  ),
  inspectModel: method('Inspect a model folder or a bare config.json without loading weights', [['path', nonEmptyString]], returns<ModelInspection>()),
  recentModels: method('Recently inspected models, newest first', [['limit', optional(positiveInteger)]], returns<RecentModel[]>()),
  listRuns: method('Runs, newest first', [['filter', optional(runFilter)]], returns<RunSummary[]>()),
  getRun: method('One run with its metrics, layer stats and artifacts', [['id', runId]], returns<RunDetail>()),
  renameRun: method(
    'Rename a run',
    [
      ['id', runId],
      ['name', nonEmptyString],
    ],
    returns<RunSummary>(),
  ),
  deleteRun: method('Delete a run and its records', [['id', runId]], returns<void>()),
  startJob: method('Start a long job; progress arrives as JobEvents', [['spec', jobSpec]], returns<{ jobId: JobId; runId: RunId }>()),
  cancelJob: method('Cancel a running job; false if it is not running', [['jobId', nonEmptyString]], returns<boolean>()),
  listJobs: method('Jobs running now, with their latest progress', [], returns<JobInfo[]>()),
  planModel: method(
    'VRAM plan for a model folder or config.json: the smallest ratio that fits, and the estimate at opts.ratio',
    [
      ['path', nonEmptyString],
      ['opts', optional(planOptions)],
    ],
    returns<PlanModelResult>(),
  ),
  compareRuns: method("Runs side by side: metrics, layer stats, phases, artifacts, settings and their parents' key metrics", [['ids', runIds]], returns<ComparedRun[]>()),
  resumeJob: method(
    'Continue a cancelled, failed or interrupted slice or recovery run from its checkpoint (a new run); a slice may change its GPU activations budget (overrides.vramGb, GiB: what a GPU out-of-memory asks to lower)',
    [
      ['runId', runId],
      ['overrides', optional(resumeOverrides)],
    ],
    returns<{ jobId: JobId; runId: RunId }>(),
  ),
  resumability: method('Whether resumeJob would continue this run from a checkpoint, and if not, why (one line)', [['runId', runId]], returns<Resumability>()),
  chooseModelPath: method('Desktop only: a native folder picker; null when dismissed', [['kind', optional(literal('folder', 'config'))]], returns<string | null>()),
} satisfies Record<string, MethodSpec<ArgSpec, unknown>>;

export type ApiMethodName = keyof typeof API_METHODS;
export const API_METHOD_NAMES = Object.keys(API_METHODS) as ApiMethodName[];

type Table = typeof API_METHODS;
export type ApiArgs<K extends ApiMethodName> = ArgsOf<Table[K]['args']>;
export type ApiResult<K extends ApiMethodName> = Table[K]['result'];

type Methods = { [K in Exclude<ApiMethodName, 'startJob'>]: (...args: ApiArgs<K>) => Promise<ApiResult<K>> } & {
  /** Generic over the job table: the params are what kind K accepts (the table's validator checks them at run time). */
  startJob<K extends JobKind>(spec: JobSpec<K>): Promise<ApiResult<'startJob'>>;
};

/** Every command a client can send. Implemented by core/api/service.ts; proxied by each transport's client. */
export interface SliceStudioApi extends Methods {}

/** What a client sees: the methods plus a subscription to pushed events. */
export interface SliceStudioClient extends SliceStudioApi {
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

export function isApiMethod(name: string): name is ApiMethodName {
  return Object.prototype.hasOwnProperty.call(API_METHODS, name);
}
