// The jobs runner: one job = one worker thread = one run. It validates params against the registry,
// records the run (running → done / failed / cancelled, with timings), forwards the worker's progress
// and logs as JobEvents stamped with the job's and run's ids, and cancels through the job's AbortSignal —
// terminating the worker if it has not stopped after a grace period (a job stuck inside a long native
// call cannot look at its signal).
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobEvent, JobEndEvent, JobId, RunId } from '../api/events';
import { isJobEnd } from '../api/events';
import { getJob } from './registry';
import type { FromWorker, WorkerInput } from './protocol';
import type { RunKind } from '../store/types';
import './kinds/index';

export interface JobSpec {
  kind: string;
  params: unknown;
  /** Display name of the run; the job kind's describe() otherwise. */
  name?: string;
}

export type JobStatus = 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  jobId: JobId;
  runId: RunId;
  kind: string;
  name: string;
  status: JobStatus;
  startedAt: number;
  /** The latest progress event, so a client that connects mid-job can draw the bar at once. */
  progress: Extract<JobEvent, { type: 'progress' }> | null;
}

/** Where runs are recorded (the Store in the app; see store-recorder.ts). */
export interface RunRecorder {
  started(info: { kind: string; runKind: RunKind; name: string; params: unknown; modelPath?: string }): RunId;
  progressed?(runId: RunId, event: Extract<JobEvent, { type: 'progress' }>): void;
  ended(runId: RunId, end: JobEndEvent): void;
}

export interface RunnerOptions {
  recorder: RunRecorder;
  /** The worker script; by default worker.ts beside this file in dev, job-worker.mjs beside the bundle in a build. */
  workerUrl?: URL;
  /** Extra modules that register job kinds, imported by the runner and by every worker. */
  modules?: string[];
  /** How long a cancelled job may take to stop before its worker is terminated. */
  graceMs?: number;
}

export class JobCancelError extends Error {
  override name = 'JobCancelError';
}

interface LiveJob {
  info: JobInfo;
  worker: Worker;
  started: number;
  ended: Promise<JobEndEvent>;
  finish(end: JobEndEvent): void;
  graceTimer?: NodeJS.Timeout;
}

/** Finds the worker: TypeScript source under tsx, else the bundled job-worker.mjs (unpacked from asar when packaged). */
export function defaultWorkerUrl(here = import.meta.url): URL {
  if (/\.[cm]?ts$/.test(here)) return new URL('./worker.ts', here);
  for (const rel of ['./job-worker.mjs', '../job-worker.mjs']) {
    const file = fileURLToPath(new URL(rel, here)).replace(/app\.asar([\\/])/, 'app.asar.unpacked$1');
    if (existsSync(file)) return pathToFileURL(file);
  }
  throw new Error(`job worker bundle (job-worker.mjs) not found next to ${fileURLToPath(here)}: run npm run build`);
}

/**
 * Node 20 does not apply the parent's `--import tsx` hooks to a worker's entry module, so a TypeScript
 * worker starts from a two-line bootstrap that registers tsx inside the worker first. Bundles start directly.
 */
function spawnWorker(url: URL, workerData: WorkerInput): Worker {
  if (!/\.[cm]?ts$/.test(url.pathname)) return new Worker(url, { workerData });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

export class JobRunner {
  #jobs = new Map<JobId, LiveJob>();
  #listeners = new Set<(e: JobEvent) => void>();
  #recorder: RunRecorder;
  #workerUrl: URL;
  #modules: string[];
  #graceMs: number;

  private constructor(opts: RunnerOptions) {
    this.#recorder = opts.recorder;
    this.#workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    this.#modules = opts.modules ?? [];
    this.#graceMs = opts.graceMs ?? 5000;
  }

  static async create(opts: RunnerOptions): Promise<JobRunner> {
    for (const m of opts.modules ?? []) await import(m);
    return new JobRunner(opts);
  }

  subscribe(listener: (e: JobEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #emit(e: JobEvent): void {
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        /* a listener's bug must not kill the job */
      }
    }
  }

  /** Validates, records the run and starts the worker. Throws PayloadError / UnknownJobError on bad specs. */
  start(spec: JobSpec): { jobId: JobId; runId: RunId } {
    const def = getJob(spec.kind);
    const checked = def.params.check(spec.params ?? {}, `${spec.kind} params`);
    const name = spec.name?.trim() || def.describe?.(checked) || spec.kind;
    const runId = this.#recorder.started({
      kind: spec.kind,
      runKind: def.runKind,
      name,
      params: checked,
      modelPath: def.modelPath?.(checked),
    });
    // Defaults that name the run (e.g. an output folder with the run id) can only be filled now.
    const params = def.prepare ? def.prepare(checked, runId) : checked;
    const jobId = randomUUID();
    const input: WorkerInput = { kind: spec.kind, params, modules: this.#modules };
    const worker = spawnWorker(this.#workerUrl, input);
    let finish!: (end: JobEndEvent) => void;
    const ended = new Promise<JobEndEvent>((resolve) => (finish = resolve));
    const started = performance.now();
    const job: LiveJob = {
      info: { jobId, runId, kind: spec.kind, name, status: 'running', startedAt: Date.now(), progress: null },
      worker,
      started,
      ended,
      finish,
    };
    this.#jobs.set(jobId, job);
    const base = () => ({ jobId, runId, kind: spec.kind, at: Date.now() });
    const seconds = () => (performance.now() - started) / 1000;
    let over = false;
    const end = (e: JobEndEvent) => {
      if (over) return;
      over = true;
      clearTimeout(job.graceTimer);
      job.info.status = e.type;
      try {
        this.#recorder.ended(runId, e);
      } catch (err) {
        this.#emit({ ...base(), type: 'log', message: `could not record the run's end: ${(err as Error).message}` });
      }
      this.#emit(e);
      this.#jobs.delete(jobId);
      finish(e);
      void worker.terminate();
    };
    worker.on('message', (m: FromWorker) => {
      if (over) return;
      switch (m.type) {
        case 'progress': {
          const e = { ...base(), type: 'progress' as const, ...m.update };
          job.info.progress = e;
          this.#recorder.progressed?.(runId, e);
          this.#emit(e);
          break;
        }
        case 'log':
          this.#emit({ ...base(), type: 'log', message: m.message });
          break;
        case 'done':
          end({ ...base(), type: 'done', result: m.result, seconds: seconds() });
          break;
        case 'failed':
          end({ ...base(), type: 'failed', message: m.message, errorName: m.errorName, seconds: seconds() });
          break;
        case 'cancelled':
          end({ ...base(), type: 'cancelled', seconds: seconds(), forced: false });
          break;
      }
    });
    worker.on('error', (err) =>
      end({ ...base(), type: 'failed', message: `job crashed: ${err.message}`, errorName: err.name, seconds: seconds() }),
    );
    worker.on('exit', (code) => {
      if (job.info.status === 'cancelling') end({ ...base(), type: 'cancelled', seconds: seconds(), forced: true });
      else
        end({
          ...base(),
          type: 'failed',
          message: `job worker exited unexpectedly (code ${code})`,
          errorName: 'WorkerExit',
          seconds: seconds(),
        });
    });
    this.#emit({ ...base(), type: 'started', name });
    return { jobId, runId };
  }

  /** Asks the job to stop; terminates its worker after the grace period. False if no such running job. */
  cancel(jobId: JobId): boolean {
    const job = this.#jobs.get(jobId);
    if (!job || job.info.status !== 'running') return false;
    job.info.status = 'cancelling';
    job.worker.postMessage({ type: 'cancel' });
    job.graceTimer = setTimeout(() => void job.worker.terminate(), this.#graceMs);
    return true;
  }

  list(): JobInfo[] {
    return [...this.#jobs.values()].map((j) => ({ ...j.info }));
  }

  /** Resolves with the job's last event (done, failed or cancelled). */
  wait(jobId: JobId): Promise<JobEndEvent> {
    const job = this.#jobs.get(jobId);
    if (!job) return Promise.reject(new JobCancelError(`no running job ${jobId}`));
    return job.ended;
  }

  /** Cancels every job and waits for them to end (app quit, server stop). */
  async close(): Promise<void> {
    const pending = [...this.#jobs.values()];
    for (const j of pending) this.cancel(j.info.jobId);
    await Promise.all(pending.map((j) => j.ended));
  }
}

export { isJobEnd };
