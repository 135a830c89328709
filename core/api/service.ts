// The API's implementation: thin glue from the contract to the core modules, the jobs runner and the
// store. Every inspection and hardware snapshot is recorded; every change is announced as a StateEvent so
// all connected clients (window, browser tabs) refetch instead of drifting apart.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { detectHardware, type DetectOptions } from '../hardware/detect';
import { inspectModel } from '../model/inspect';
import { dataDir, resourcePath } from '../paths';
import { Store } from '../store/store';
import { storeRecorder } from '../jobs/store-recorder';
import { JobRunner, type RunnerOptions } from '../jobs/runner';
import { jobKinds } from '../jobs/registry';
import { appRoot } from '../transports/app-root';
import type { AppInfo, ApiArgs, ApiResult, SliceStudioApi } from './contract';
import { EventHub } from './events';

export class NotAvailableError extends Error {
  override name = 'NotAvailableError';
}

export class RunNotFoundError extends Error {
  override name = 'RunNotFoundError';
}

export interface ServiceOptions {
  /** Store file; by default slice-studio.db in the data directory (SLICE_STUDIO_DATA / --data-dir). */
  storeFile?: string;
  runner?: Partial<Omit<RunnerOptions, 'recorder'>>;
  hardware?: DetectOptions;
}

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(appRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export class SliceStudioService implements SliceStudioApi {
  readonly events = new EventHub();
  #store: Store;
  #runner: JobRunner;
  #hardware: Promise<ApiResult<'getHardware'>> | null = null;
  #detect: DetectOptions;
  #unsubscribe: () => void;

  private constructor(store: Store, runner: JobRunner, detect: DetectOptions) {
    this.#store = store;
    this.#runner = runner;
    this.#detect = detect;
    this.#unsubscribe = runner.subscribe((e) => {
      this.events.emit({ channel: 'job', ...e });
      if (e.type === 'started' || e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') {
        this.events.emit({ channel: 'state', type: 'runs-changed', runId: e.runId });
        this.events.emit({ channel: 'state', type: 'jobs-changed' });
      }
    });
  }

  static async create(opts: ServiceOptions = {}): Promise<SliceStudioService> {
    const store = Store.open(opts.storeFile);
    try {
      const runner = await JobRunner.create({ ...opts.runner, recorder: storeRecorder(store) });
      return new SliceStudioService(store, runner, opts.hardware ?? {});
    } catch (e) {
      store.close();
      throw e;
    }
  }

  /** The runner, for in-process callers (the CLI waits on jobs it started). */
  get runner(): JobRunner {
    return this.#runner;
  }

  async getAppInfo(): Promise<AppInfo> {
    const demo = resourcePath('models', 'tiny-llama');
    return {
      version: version(),
      dataDir: dataDir(),
      demoModelPath: existsSync(join(demo, 'config.json')) ? demo : null,
      jobKinds: jobKinds(),
    };
  }

  async getHardware(...[refresh]: ApiArgs<'getHardware'>): Promise<ApiResult<'getHardware'>> {
    if (refresh || !this.#hardware) {
      // Probing starts a session per execution provider (seconds): share one detection between callers.
      const pending = detectHardware({ dataDir: dataDir(), ...this.#detect }).then((report) => {
        this.#store.recordHardware(report);
        this.events.emit({ channel: 'state', type: 'hardware-changed' });
        return report;
      });
      this.#hardware = pending;
      pending.catch(() => {
        if (this.#hardware === pending) this.#hardware = null;
      });
    }
    return this.#hardware;
  }

  async inspectModel(...[path]: ApiArgs<'inspectModel'>): Promise<ApiResult<'inspectModel'>> {
    const inspection = await inspectModel(resolve(path));
    this.#store.recordInspection(inspection);
    this.events.emit({ channel: 'state', type: 'models-changed' });
    return inspection;
  }

  async recentModels(...[limit]: ApiArgs<'recentModels'>): Promise<ApiResult<'recentModels'>> {
    return this.#store.recentModels(limit ?? 10);
  }

  async listRuns(...[filter]: ApiArgs<'listRuns'>): Promise<ApiResult<'listRuns'>> {
    return this.#store.listRuns(filter ?? {});
  }

  async getRun(...[id]: ApiArgs<'getRun'>): Promise<ApiResult<'getRun'>> {
    const run = this.#store.getRun(id);
    if (!run) throw new RunNotFoundError(`no run with id ${id}`);
    return run;
  }

  async renameRun(...[id, name]: ApiArgs<'renameRun'>): Promise<ApiResult<'renameRun'>> {
    if (!this.#store.getRun(id)) throw new RunNotFoundError(`no run with id ${id}`);
    const run = this.#store.renameRun(id, name.trim());
    this.events.emit({ channel: 'state', type: 'runs-changed', runId: id });
    return run;
  }

  async deleteRun(...[id]: ApiArgs<'deleteRun'>): Promise<void> {
    const run = this.#store.getRun(id);
    if (!run) throw new RunNotFoundError(`no run with id ${id}`);
    if (run.status === 'running') throw new NotAvailableError(`run ${id} is still running: cancel it first`);
    this.#store.deleteRun(id);
    this.events.emit({ channel: 'state', type: 'runs-changed', runId: id });
  }

  async startJob(...[spec]: ApiArgs<'startJob'>): Promise<ApiResult<'startJob'>> {
    return this.#runner.start({ kind: spec.kind, params: spec.params ?? {}, name: spec.name });
  }

  async cancelJob(...[jobId]: ApiArgs<'cancelJob'>): Promise<boolean> {
    return this.#runner.cancel(jobId);
  }

  async listJobs(): Promise<ApiResult<'listJobs'>> {
    return this.#runner.list();
  }

  async chooseModelPath(): Promise<string | null> {
    // Electron's main process overrides this with a native dialog; a browser has no access to local paths.
    throw new NotAvailableError('a folder picker is only available in the desktop app: type the path instead');
  }

  /** Cancels running jobs, then closes the store. */
  async close(): Promise<void> {
    this.#unsubscribe();
    await this.#runner.close();
    this.#store.close();
  }
}
