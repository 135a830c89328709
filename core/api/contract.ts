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
import type { ApiEvent, JobId, RunId } from './events';
import {
  boolean,
  integer,
  literal,
  nonEmptyString,
  object,
  optional,
  positiveInteger,
  record,
  type ArgSpec,
  type ArgsOf,
  type Validator,
} from './validate';

export type { ApiEvent, JobEvent, StateEvent, JobId, RunId } from './events';
export type { HardwareReport } from '../hardware/types';
export type { ModelInspection } from '../model/inspect';
export type { JobInfo } from '../jobs/runner';

// Runs and models are the store's rows, as stored (JSON columns parsed): the contract does not re-shape them.
export type { RunRow as RunSummary, RunDetail, ModelRow as RecentModel, RunStatus, RunKind } from '../store/types';
import type { RunRow as RunSummary, RunDetail, ModelRow as RecentModel, RunStatus, RunKind } from '../store/types';

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
  status: optional(literal('queued', 'running', 'done', 'failed', 'cancelled')),
  kind: optional(literal('slice', 'ppl', 'eval', 'bench', 'export', 'generate')),
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

export const jobSpec = object({ kind: nonEmptyString, params: optional(record), name: optional(nonEmptyString) });
export type JobSpecPayload = ReturnType<typeof jobSpec.check>;

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

export const API_METHODS = {
  getAppInfo: method('Version, data directory, demo model and job kinds', [], returns<AppInfo>()),
  getHardware: method(
    'Detected GPUs, CPU, RAM, disk and execution providers (cached; refresh=true probes again)',
    [['refresh', optional(boolean)]],
    returns<HardwareReport>(),
  ),
  inspectModel: method(
    'Inspect a model folder or a bare config.json without loading weights',
    [['path', nonEmptyString]],
    returns<ModelInspection>(),
  ),
  recentModels: method('Recently inspected models, newest first', [['limit', optional(positiveInteger)]], returns<RecentModel[]>()),
  listRuns: method('Runs, newest first', [['filter', optional(runFilter)]], returns<RunSummary[]>()),
  getRun: method('One run with its metrics, layer stats and artifacts', [['id', runId]], returns<RunDetail>()),
  renameRun: method('Rename a run', [['id', runId], ['name', nonEmptyString]], returns<RunSummary>()),
  deleteRun: method('Delete a run and its records', [['id', runId]], returns<void>()),
  startJob: method('Start a long job; progress arrives as JobEvents', [['spec', jobSpec]], returns<{ jobId: JobId; runId: RunId }>()),
  cancelJob: method('Cancel a running job; false if it is not running', [['jobId', nonEmptyString]], returns<boolean>()),
  listJobs: method('Jobs running now, with their latest progress', [], returns<JobInfo[]>()),
  chooseModelPath: method(
    'Desktop only: a native folder picker; null when dismissed',
    [['kind', optional(literal('folder', 'config'))]],
    returns<string | null>(),
  ),
} satisfies Record<string, MethodSpec<ArgSpec, unknown>>;

export type ApiMethodName = keyof typeof API_METHODS;
export const API_METHOD_NAMES = Object.keys(API_METHODS) as ApiMethodName[];

type Table = typeof API_METHODS;
export type ApiArgs<K extends ApiMethodName> = ArgsOf<Table[K]['args']>;
export type ApiResult<K extends ApiMethodName> = Table[K]['result'];

type Methods = { [K in ApiMethodName]: (...args: ApiArgs<K>) => Promise<ApiResult<K>> };

/** Every command a client can send. Implemented by core/api/service.ts; proxied by each transport's client. */
export interface SliceStudioApi extends Methods {}

/** What a client sees: the methods plus a subscription to pushed events. */
export interface SliceStudioClient extends SliceStudioApi {
  onEvent(listener: (event: ApiEvent) => void): () => void;
}

export function isApiMethod(name: string): name is ApiMethodName {
  return Object.prototype.hasOwnProperty.call(API_METHODS, name);
}
