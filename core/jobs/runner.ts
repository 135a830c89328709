// The jobs runner: one job = one worker thread = one run. It validates params against the registry,
// claims the job's output paths (core/files/folder-lock.ts), records the run (queued → running → done /
// failed / cancelled, with timings), queues it until its device has a free slot (job-queue.ts), forwards the
// worker's progress and logs as JobEvents stamped with the job's and run's ids, and cancels through the
// job's AbortSignal — terminating the worker if it has not stopped after a grace period (a job stuck inside
// a long native call cannot look at its signal). The store can fail under it (a full disk): every recorder
// call is guarded, so such a failure ends that job with one line and never reaches the host process.
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { JobEvent, JobEndEvent, JobId, RunId } from './events';
import { isJobEnd } from './events';
import { getJob } from './registry';
import { JobQueue, defaultConcurrency, slotOf, type Concurrency, type Slot } from './job-queue';
import { assertNotBeingWritten, lockFolder, type FolderLock } from '../files/folder-lock';
import type { FromWorker, WorkerInput } from './protocol';
import type { RunKind } from '../store/types';
import './kinds/index';

export interface JobSpec {
  kind: string;
  params: unknown;
  /** Display name of the run; the job kind's describe() otherwise. */
  name?: string;
}

export type JobStatus = 'queued' | 'running' | 'cancelling' | 'done' | 'failed' | 'cancelled';

export interface JobInfo {
  jobId: JobId;
  runId: RunId;
  kind: string;
  name: string;
  status: JobStatus;
  /** When it was asked for; `startedAt` is when it left the queue (null while queued). */
  queuedAt: number;
  startedAt: number | null;
  /** The latest progress event, so a client that connects mid-job can draw the bar at once. */
  progress: Extract<JobEvent, { type: 'progress' }> | null;
}

/** Where runs are recorded (the Store in the app; see store-recorder.ts). Any method may throw (disk full). */
export interface RunRecorder {
  /** The run exists from here on, as queued. */
  started(info: { kind: string; runKind: RunKind; name: string; params: unknown; modelPath?: string }): RunId;
  /** It left the queue and its worker starts. */
  launched?(runId: RunId): void;
  progressed?(runId: RunId, event: Extract<JobEvent, { type: 'progress' }>): void;
  ended(runId: RunId, end: JobEndEvent): void;
  /** The job was refused right after its run was recorded (its output is in use): forget the run. */
  discarded?(runId: RunId): void;
}

export interface RunnerOptions {
  recorder: RunRecorder;
  /** The worker script; by default worker.ts beside this file in dev, job-worker.mjs beside the bundle in a build. */
  workerUrl?: URL;
  /** Extra modules that register job kinds, imported by the runner and by every worker. */
  modules?: string[];
  /** How long a cancelled job may take to stop before its worker is terminated. */
  graceMs?: number;
  /** How many jobs run at once (job-queue.ts); the rest wait, queued. */
  concurrency?: Partial<Concurrency>;
}

export class JobCancelError extends Error {
  override name = 'JobCancelError';
}

interface LiveJob {
  info: JobInfo;
  params: unknown;
  slot: Slot;
  locks: FolderLock[];
  worker?: Worker;
  started: number;
  ended: Promise<JobEndEvent>;
  end(e: JobEndEvent): void;
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
  #queue: JobQueue<JobId>;
  /** Run ends the store refused (full disk): tried again whenever the queue moves, so a run does not stay "running". */
  #unrecorded: (() => void)[] = [];

  private constructor(opts: RunnerOptions) {
    this.#recorder = opts.recorder;
    this.#workerUrl = opts.workerUrl ?? defaultWorkerUrl();
    this.#modules = opts.modules ?? [];
    this.#graceMs = opts.graceMs ?? 5000;
    this.#queue = new JobQueue({ ...defaultConcurrency(), ...opts.concurrency });
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

  /**
   * Validates, claims the job's output paths, records the run and queues it (it starts at once when its
   * device has a free slot). Throws PayloadError / UnknownJobError on bad specs, FolderInUseError when
   * another live job writes the same output (or the model this job would read), StoreError when the run
   * cannot be recorded.
   */
  start(spec: JobSpec): { jobId: JobId; runId: RunId } {
    const def = getJob(spec.kind);
    return this.startChecked({ ...spec, params: def.params.check(spec.params ?? {}, `${spec.kind} params`) });
  }

  /** `start` for params its kind's validator has already checked (the service validates once, before linking the run). */
  startChecked(spec: JobSpec): { jobId: JobId; runId: RunId } {
    const def = getJob(spec.kind);
    const checked = spec.params;
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
    const base = () => ({ jobId, runId, kind: spec.kind, at: Date.now() });
    const locks: FolderLock[] = [];
    try {
      const input = def.modelPath?.(params);
      if (input) assertNotBeingWritten(input);
      for (const out of def.outputs?.(params) ?? []) locks.push(lockFolder(out, runId));
    } catch (e) {
      for (const l of locks) l.release();
      // Refused before it began: the caller hears why, and the run it never was is not kept (each refused click
      // would otherwise leave a failed run behind). A recorder that cannot forget records the refusal instead.
      const failed = { ...base(), type: 'failed' as const, message: (e as Error).message, errorName: (e as Error).name, seconds: 0 };
      this.#record(() => (this.#recorder.discarded ? this.#recorder.discarded(runId) : this.#recorder.ended(runId, failed)));
      throw e;
    }
    let resolve!: (end: JobEndEvent) => void;
    const ended = new Promise<JobEndEvent>((r) => (resolve = r));
    const job: LiveJob = {
      info: { jobId, runId, kind: spec.kind, name, status: 'queued', queuedAt: Date.now(), startedAt: null, progress: null },
      params,
      slot: slotOf(def, params),
      locks,
      started: performance.now(),
      ended,
      end: () => {},
    };
    let over = false;
    job.end = (e: JobEndEvent) => {
      if (over) return;
      over = true;
      clearTimeout(job.graceTimer);
      job.info.status = e.type;
      let end = e;
      const problem = this.#record(() => this.#recorder.ended(runId, e));
      if (problem && e.type === 'done') {
        // The result could not be stored (full disk?): say so in the store if a smaller write still fits,
        // and tell the caller the job failed rather than report a result nobody will find again.
        end = { ...e, type: 'failed', message: `the job finished but its result could not be recorded: ${problem}`, errorName: 'StoreError' } as JobEndEvent;
        if (this.#record(() => this.#recorder.ended(runId, end))) this.#unrecorded.push(() => this.#recorder.ended(runId, end));
      } else if (problem) {
        this.#unrecorded.push(() => this.#recorder.ended(runId, e));
        this.#emit({ ...base(), type: 'log', message: `could not record the run's end: ${problem}` });
      }
      for (const l of job.locks) l.release();
      this.#emit(end);
      this.#jobs.delete(jobId);
      this.#queue.remove(jobId);
      resolve(end);
      void job.worker?.terminate();
      this.#pump();
    };
    this.#jobs.set(jobId, job);
    this.#queue.add(jobId, job.slot);
    this.#emit({ ...base(), type: 'queued', name });
    this.#pump();
    return { jobId, runId };
  }

  /** Runs `fn` (a recorder call); returns its error's one line instead of throwing. */
  #record(fn: () => void): string | null {
    try {
      fn();
      return null;
    } catch (err) {
      return (err as Error)?.message ?? String(err);
    }
  }

  /** Starts every queued job whose slot is free, oldest first. */
  #pump(): void {
    this.#unrecorded = this.#unrecorded.filter((retry) => this.#record(retry) !== null);
    for (const jobId of this.#queue.ready()) {
      const job = this.#jobs.get(jobId);
      if (job) this.#launch(job);
    }
  }

  #launch(job: LiveJob): void {
    const { jobId, runId, kind, name } = job.info;
    const base = () => ({ jobId, runId, kind, at: Date.now() });
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    const fail = (message: string, errorName: string) => job.end({ ...base(), type: 'failed', message, errorName, seconds: seconds() });
    job.started = started;
    job.info.status = 'running';
    job.info.startedAt = Date.now();
    const launchProblem = this.#record(() => this.#recorder.launched?.(runId));
    if (launchProblem) return fail(`could not record the run's start: ${launchProblem}`, 'StoreError');
    const input: WorkerInput = { kind, params: job.params, modules: this.#modules };
    let worker: Worker;
    try {
      worker = spawnWorker(this.#workerUrl, input);
    } catch (e) {
      return fail(`could not start the job's worker: ${(e as Error).message}`, 'WorkerStart');
    }
    job.worker = worker;
    worker.on('message', (m: FromWorker) => {
      if (job.info.status !== 'running' && job.info.status !== 'cancelling') return;
      switch (m.type) {
        case 'progress': {
          const e = { ...base(), type: 'progress' as const, ...m.update };
          job.info.progress = e;
          const problem = this.#record(() => this.#recorder.progressed?.(runId, e));
          // A store that cannot take a phase timing will not take the result either: stop now, one line.
          if (problem) return fail(`could not record the run's progress: ${problem}`, 'StoreError');
          this.#emit(e);
          break;
        }
        case 'log':
          this.#emit({ ...base(), type: 'log', message: m.message });
          break;
        case 'done':
          job.end({ ...base(), type: 'done', result: m.result, seconds: seconds() });
          break;
        case 'failed':
          fail(m.message, m.errorName);
          break;
        case 'cancelled':
          job.end({ ...base(), type: 'cancelled', seconds: seconds(), forced: false });
          break;
      }
    });
    worker.on('error', (err) => fail(`job crashed: ${err.message}`, err.name));
    worker.on('exit', (code) => {
      if (job.info.status === 'cancelling') job.end({ ...base(), type: 'cancelled', seconds: seconds(), forced: true });
      else fail(`job worker exited unexpectedly (code ${code})`, 'WorkerExit');
    });
    this.#emit({ ...base(), type: 'started', name });
  }

  /** Asks the job to stop (a queued one ends at once); terminates its worker after the grace period. False if no such job. */
  cancel(jobId: JobId): boolean {
    const job = this.#jobs.get(jobId);
    if (!job) return false;
    if (job.info.status === 'queued') {
      job.end({ jobId, runId: job.info.runId, kind: job.info.kind, at: Date.now(), type: 'cancelled', seconds: 0, forced: false });
      return true;
    }
    if (job.info.status !== 'running' || !job.worker) return false;
    const worker = job.worker;
    job.info.status = 'cancelling';
    worker.postMessage({ type: 'cancel' });
    job.graceTimer = setTimeout(() => void worker.terminate(), this.#graceMs);
    return true;
  }

  /** Jobs running or queued, in the order they were asked for. */
  list(): JobInfo[] {
    return [...this.#jobs.values()].map((j) => ({ ...j.info }));
  }

  /** Resolves with the job's last event (done, failed or cancelled). */
  wait(jobId: JobId): Promise<JobEndEvent> {
    const job = this.#jobs.get(jobId);
    if (!job) return Promise.reject(new JobCancelError(`no running job ${jobId}`));
    return job.ended;
  }

  /** Cancels every job, queued ones first (so none starts meanwhile), and waits for them to end (app quit, server stop). */
  async close(): Promise<void> {
    const pending = [...this.#jobs.values()];
    for (const j of pending) if (j.info.status === 'queued') this.cancel(j.info.jobId);
    for (const j of pending) this.cancel(j.info.jobId);
    await Promise.all(pending.map((j) => j.ended));
  }
}

export { isJobEnd };
