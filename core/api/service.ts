// The API's implementation: thin glue from the contract to the core modules, the jobs runner and the
// store. Every inspection and hardware snapshot is recorded; every change is announced as a StateEvent so
// all connected clients (window, browser tabs) refetch instead of drifting apart.
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, freemem } from 'node:os';
import { join, resolve } from 'node:path';
import { detectHardware, type DetectOptions } from '../hardware/detect';
import { inspectModel } from '../model/inspect';
import { dataDir, resourcePath } from '../base/paths';
import { Store } from '../store/store';
import { formatOfGgufDtype, measuredPpls } from '../store/measured-ppl';
import { planCombination } from '../plan/combination';
import { DTYPES as EXPORT_DTYPES } from '../export/index';
import { isOwnerAlive } from '../files/process-identity';
import { storeRecorder } from '../jobs/store-recorder';
import { JobRunner, type RunnerOptions } from '../jobs/runner';
import { getJob, jobKinds } from '../jobs/registry';
import { storedParams } from '../jobs/run-params';
import { estimate, parseGpuList, plan, predictSlice, readPlanConfig, type PlanHardware } from '../plan/index';
import { defaultDeviceBudget } from '../plan/predict';
import { budgetRefusal } from '../plan/budget';
import { plannedPcaSolver } from '../slicegpt/pca-solver';
import { appRoot } from '../base/app-root';
import type { AppInfo, ApiArgs, ApiResult, JobKind, JobSpec, SliceStudioApi } from './contract';
import { EventHub } from './events';
import { PayloadError } from '../base/validate';
import { UserError } from '../base/user-error';
import { compare, denseBaselineNeeded, linksFor, recordResult } from './run-links';
import { resumability, sliceOutOf } from './resumability';
import { catalog, type Catalog } from './catalog';

export class NotAvailableError extends Error {
  override name = 'NotAvailableError';
}

/** The training rate cannot be measured here (one line; the wizard then uses the table). */
export class RecoverRateError extends UserError {}

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
  /** The store's id of the snapshot #hardware resolved to (its measured training rate is stored with it). */
  #hardwareSnapshot: number | null = null;
  #trainRate: Promise<ApiResult<'recoverRate'>> | null = null;
  /** The snapshot this session's rate was stored with (stored once per snapshot). */
  #rateStoredOn: number | null = null;
  #detect: DetectOptions;
  #unsubscribe: () => void;

  private constructor(store: Store, runner: JobRunner, detect: DetectOptions) {
    this.#store = store;
    this.#runner = runner;
    this.#detect = detect;
    this.#unsubscribe = runner.subscribe((e) => {
      // Results go into the store before anyone hears "done", so a client that refetches finds them.
      if (e.type === 'done') {
        const problem = recordResult(store, getJob(e.kind), e.runId, e.result);
        if (problem) this.events.emit({ channel: 'job', type: 'log', jobId: e.jobId, runId: e.runId, kind: e.kind, at: Date.now(), message: problem });
      }
      this.events.emit({ channel: 'job', ...e });
      if (e.type === 'queued' || e.type === 'started' || e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') {
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

  async catalog(): Promise<Catalog> {
    return catalog();
  }

  async getHardware(...[refresh]: ApiArgs<'getHardware'>): Promise<ApiResult<'getHardware'>> {
    if (refresh || !this.#hardware) {
      // Probing starts a session per execution provider (seconds): share one detection between callers.
      const pending = detectHardware({ dataDir: dataDir(), ...this.#detect }).then((report) => {
        this.#hardwareSnapshot = this.#store.recordHardware(report);
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

  async recoverRate(...[refresh]: ApiArgs<'recoverRate'>): Promise<ApiResult<'recoverRate'>> {
    const hw = await this.getHardware();
    const snapshot = this.#hardwareSnapshot;
    const stored = refresh ? null : this.#store.hardwareTrainRate(hw);
    if (stored) {
      // Measured on an earlier snapshot of this machine: this snapshot carries it too.
      if (snapshot !== null && this.#rateStoredOn !== snapshot) {
        this.#store.setHardwareTrainRate(snapshot, stored);
        this.#rateStoredOn = snapshot;
      }
      return stored;
    }
    if (refresh || !this.#trainRate) {
      // A few seconds of training on the bundled tiny model, shared by concurrent callers.
      const folder = resourcePath('models', 'tiny-llama');
      if (!existsSync(join(folder, 'config.json'))) throw new RecoverRateError(`the bundled model the training rate is measured on is missing (${folder}): the estimate uses the table`);
      // A job running beside the probe (here or in another process on this store) shares the cores and would be
      // timed with it: not measured while one runs, and a rate during which a run was started is not kept. Both
      // are answers, not errors: the wizard keeps the table's estimate, says why, and asks again later.
      const busy = this.#rateBusy();
      if (busy) return { notMeasured: busy };
      const before = this.#store.lastRunId();
      // Loaded when first asked: it brings onnxruntime into this process.
      const pending = import('../recover/rate-probe').then(async ({ measureTrainRate }): Promise<ApiResult<'recoverRate'>> => {
        const rate = await measureTrainRate(folder, hw.cpu.cores);
        const started = this.#store.listRuns({ limit: 1 })[0];
        if (started && started.id > before) {
          if (this.#trainRate === pending) this.#trainRate = null;
          return { notMeasured: `run ${started.id} (${started.kind}) started while the training rate was measured, so the measurement shared the cores with it and was not kept; the estimate uses the table until it is measured again` };
        }
        if (snapshot !== null) {
          this.#store.setHardwareTrainRate(snapshot, rate);
          this.#rateStoredOn = snapshot;
        }
        return rate;
      });
      this.#trainRate = pending;
      pending.catch(() => {
        if (this.#trainRate === pending) this.#trainRate = null;
      });
    }
    return this.#trainRate;
  }

  /** Why the training rate is not measured now — a job queued or running here or in another process on this store — or null. */
  #rateBusy(): string | null {
    const live = this.#store.liveRuns();
    if (live.length === 0) return null;
    const r = live[0];
    const others = live.length > 1 ? ` and ${live.length - 1} more` : '';
    return `the training rate is not measured while run ${r.id} (${r.settings.job && r.settings.job !== r.kind ? `${String(r.settings.job)}, a ${r.kind} run` : r.kind})${others} is ${r.status}: it would share the cores; the estimate uses the table until the run ends`;
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
    if ((run.status === 'running' || run.status === 'queued') && isOwnerAlive({ pid: run.ownerPid, start: run.ownerStart })) throw new NotAvailableError(`run ${id} is still ${run.status}: cancel it first`);
    this.#store.deleteRun(id);
    this.events.emit({ channel: 'state', type: 'runs-changed', runId: id });
  }

  async startJob<K extends JobKind>(spec: JobSpec<K>): Promise<ApiResult<'startJob'>> {
    return this.#start(spec.kind, spec.params ?? {}, spec.name);
  }

  /** Validates, links the run to its model and parent, starts it, and records the final settings. */
  async #start(kind: string, raw: unknown, name?: string, extra: Record<string, unknown> = {}, inherit?: { modelId: number | null; parentRunId: number | null }): Promise<{ jobId: string; runId: number }> {
    const def = getJob(kind);
    // Validated here, once: the runner and the worker take the checked params as they are.
    let params = def.params.check(raw, `${kind} params`);
    // An evaluation of a slice also measures its dense model the same way, unless the store has that already
    // (a folder the store recorded for the slice, absolute already).
    const dense = denseBaselineNeeded(this.#store, kind, params as Record<string, unknown>);
    if (dense) params = { ...(params as Record<string, unknown>), baseline: dense };
    const links = await linksFor(this.#store, def, params);
    const started = this.#runner.startChecked({ kind, params, name });
    const run = this.#store.getRun(started.runId);
    if (run) {
      // The same deterministic prepare() the runner applied: the settings show e.g. the default output folder.
      const ready = def.prepare ? def.prepare(params, started.runId) : params;
      this.#store.updateRun(started.runId, {
        modelId: inherit ? inherit.modelId : links.modelId,
        parentRunId: inherit ? inherit.parentRunId : links.parentRunId,
        fingerprint: links.fingerprint,
        ep: def.ep?.(params) ?? null,
        settings: { ...run.settings, ...(ready as Record<string, unknown>), ...extra },
      });
    }
    return started;
  }

  async planModel(...[path, opts = {}]: ApiArgs<'planModel'>): Promise<ApiResult<'planModel'>> {
    if (opts.ratio !== undefined && !(opts.ratio >= 0 && opts.ratio < 1)) throw new PayloadError(`planModel: "opts".ratio must be in [0, 1) (got ${opts.ratio})`);
    const config = await readPlanConfig(resolve(path));
    const hardware = await this.#planHardware(opts.gpus ?? 'auto');
    const options = { format: opts.format, ctx: opts.ctx, batch: opts.batch, round: opts.round, sliceHead: opts.sliceHead };
    const planned = plan(config, hardware, options);
    // The slice runs on the provider detection chose, or on a GPU EP when the plan is for given GPU sizes
    // (another machine: its CPU is taken to be the measured profile's, not this one's).
    const ep = opts.ep ?? ((opts.gpus ?? 'auto') === 'auto' ? (await this.getHardware()).chosenProvider.ep : (opts.gpus as number[]).length ? 'webgpu' : 'cpu');
    const ratio = opts.ratio ?? (planned.ratio || 0.25);
    for (const [k, v] of [
      ['vramGb', opts.vramGb],
      ['ramGb', opts.ramGb],
    ] as const)
      if (v !== undefined && !(v >= 0 && v <= 1 << 20)) throw new PayloadError(`planModel: "opts".${k} must be GiB from 0 (got ${v})`);
    // The slice's budgets as the slice job sets them (jobs/kinds/slice.ts), so the plan predicts the run `slice` starts.
    const deviceBudgetBytes = ep === 'cpu' ? null : opts.vramGb !== undefined ? opts.vramGb * 2 ** 30 : defaultDeviceBudget(hardware.gpus);
    const slicing = predictSlice(config, {
      ratio,
      nsamples: opts.nsamples ?? 128,
      seqlen: opts.seqlen ?? 2048,
      ep,
      pcaSolver: plannedPcaSolver(ep),
      cores: (opts.gpus ?? 'auto') === 'auto' ? availableParallelism() : undefined,
      round: opts.round,
      // a slice keeps its source's dtype: 16-bit configs (nearly all published ones) write 2 bytes per weight
      outputBytesPerWeight: /^(b?float16|b?f16)$/i.test(config.dtype ?? '') ? 2 : 4,
      ...(deviceBudgetBytes !== null ? { deviceBudgetBytes } : {}),
    });
    const largest = hardware.gpus.reduce<PlanHardware['gpus'][number] | null>((b, g) => (!b || g.totalBytes > b.totalBytes ? g : b), null);
    // --ram-gb states the RAM the slice may use (on this machine or the one the plan is for)
    const ramFromFlag = opts.ramGb !== undefined;
    const refusal = budgetRefusal(slicing, {
      // disk: this machine's data folder when planning for it; unknown for GPU sizes of another machine
      diskBytes: (opts.gpus ?? 'auto') === 'auto' ? ((await this.getHardware()).disk?.freeBytes ?? null) : null,
      out: dataDir(),
      ramBytes: ramFromFlag ? (opts.ramGb as number) * 2 ** 30 : hardware.ramFreeBytes,
      ramFromFlag,
      vramBytes: deviceBudgetBytes !== null && largest ? largest.freeBytes : null,
      deviceBudgetBytes: deviceBudgetBytes ?? 0,
      resume: false,
    });
    return {
      plan: planned,
      estimate: opts.ratio === undefined ? null : estimate(config, hardware, opts.ratio, options),
      hardware,
      slicing: { ...slicing, deviceBudgetBytes, refusal },
      // Only the GGUF types the exporter writes, so that the proposal can be exported as proposed.
      combination: planCombination(
        config,
        hardware,
        { ctx: opts.ctx, batch: opts.batch, round: opts.round },
        measuredPpls(this.#store, path),
        EXPORT_DTYPES.flatMap((t) => (t === 'f32' ? [] : (formatOfGgufDtype(t) ?? []))),
      ),
    };
  }

  /** The detected GPUs (free VRAM where the tool knows it) and free RAM, or the given sizes. */
  async #planHardware(gpus: 'auto' | number[]): Promise<PlanHardware> {
    if (gpus !== 'auto') return gpus.length ? parseGpuList(gpus.join(','), freemem()) : { gpus: [], ramFreeBytes: freemem() };
    const report = await this.getHardware();
    return {
      gpus: report.gpus.map((g) => ({
        name: g.name,
        totalBytes: g.totalBytes,
        // Unified memory (Apple silicon) is shared with the system: what RAM has free is what the GPU has.
        freeBytes: g.freeBytes ?? (g.unifiedMemory ? Math.min(report.ram.freeBytes, g.totalBytes) : g.totalBytes),
      })),
      ramFreeBytes: report.ram.freeBytes,
    };
  }

  async compareRuns(...[ids]: ApiArgs<'compareRuns'>): Promise<ApiResult<'compareRuns'>> {
    return compare(this.#store, ids, (id) => new RunNotFoundError(`no run with id ${id}`));
  }

  async resumeJob(...[id, overrides]: ApiArgs<'resumeJob'>): Promise<ApiResult<'resumeJob'>> {
    const run = this.#store.getRun(id);
    if (!run) throw new RunNotFoundError(`no run with id ${id}`);
    const live = this.#runner.list().some((j) => j.runId === id);
    // Queued or running in another live process (a CLI next to the app): it is still going.
    if (!live && (run.status === 'running' || run.status === 'queued') && isOwnerAlive({ pid: run.ownerPid, start: run.ownerStart })) throw new NotAvailableError(`run ${id} is still ${run.status} in process ${run.ownerPid}`);
    const can = resumability(run, live);
    if (!can.resumable) throw new NotAvailableError(can.reason);
    // Still marked running, yet its process is gone (the store marks these at start-up; this one died since).
    if (run.status === 'running') this.#store.failRun(id, 'interrupted: the process that ran it stopped', 'interrupted');
    // The stored params whole (a uniform rotation stays uniform, a VRAM budget stays), continued in the same
    // folder; a recovery finds its checkpoint in its out folder by itself (same settings, same bits).
    const recover = run.settings.job === 'recover';
    const params: Record<string, unknown> = recover ? storedParams(run.settings) : { ...storedParams(run.settings), resume: true };
    if (typeof params.model !== 'string') throw new NotAvailableError(`run ${id} has no model in its settings: it cannot be resumed`);
    if (!recover) params.out ??= sliceOutOf(run);
    if (overrides?.vramGb !== undefined) {
      // The GPU activations budget is not in the checkpoint's key (slice-model.ts), so it may change on resume.
      if (recover) throw new PayloadError(`run ${id} is a recovery: it has no --vram-gb to change (only a slice's GPU activations budget can change on resume)`);
      if (!(overrides.vramGb >= 0 && overrides.vramGb <= 1 << 20)) throw new PayloadError(`overrides.vramGb must be a number of GiB from 0 to ${1 << 20} (got ${overrides.vramGb})`);
      params.vramGb = overrides.vramGb;
    }
    const name = run.name.endsWith(' (resumed)') ? run.name : `${run.name} (resumed)`;
    const started = await this.#start(recover ? 'recover' : 'slice', params, name, { resumeOf: id }, { modelId: run.modelId, parentRunId: run.parentRunId });
    this.events.emit({ channel: 'state', type: 'runs-changed', runId: id });
    return started;
  }

  async resumability(...[id]: ApiArgs<'resumability'>): Promise<ApiResult<'resumability'>> {
    const run = this.#store.getRun(id);
    if (!run) throw new RunNotFoundError(`no run with id ${id}`);
    return resumability(
      run,
      this.#runner.list().some((j) => j.runId === id),
    );
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
