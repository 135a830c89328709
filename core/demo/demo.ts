// The main job, headless: on the bundled demo model, detect the hardware, plan for it, slice at 25 %,
// evaluate the dense and the sliced model the same way (perplexity on a fixed prefix of WikiText-2 test
// windows and a quick zero-shot subset), record every run in SQLite and compare them side by side.
// Everything goes through the API, so the desktop app runs the same function over its own service.
import { DEFAULT_PPL_WINDOWS } from '../runtime/ppl-protocol';
import type { ComparedRun, HardwareReport, PlanModelResult, SliceStudioApi } from '../api/contract';
import type { ApiEvent } from '../api/events';
import type { JobEvent, JobEndEvent } from '../jobs/events';
import type { ExecutionProvider } from '../runtime/contract';
import type { SliceJobResult } from '../jobs/kinds/slice';
import type { TaskName } from '../eval/tasks/types';
import { formatComparison } from './comparison';

export class DemoError extends Error {
  override name = 'DemoError';
}

export interface DemoOptions {
  /** Default: the bundled demo model (resources/models/tiny-llama). */
  model?: string;
  ratio?: number;
  /** Calibration: wikitext2, `first` sampling, nsamples × seqlen tokens. */
  nsamples?: number;
  seqlen?: number;
  /** Perplexity over the first N WikiText-2 test windows of 256 tokens. */
  pplWindows?: number;
  tasks?: TaskName[];
  /** Documents per task. */
  limit?: number;
  /** Default: the provider hardware detection chose. */
  ep?: ExecutionProvider;
}

export const DEMO_DEFAULTS = { ratio: 0.25, nsamples: 32, seqlen: 256, pplWindows: DEFAULT_PPL_WINDOWS, tasks: ['piqa', 'arc_easy'] as TaskName[], limit: 50 };

/** What the demo reports as it goes: a step title, job progress, and the finished pieces. */
export interface DemoReporter {
  step(text: string): void;
  progress?(event: Extract<JobEvent, { type: 'progress' }>): void;
  log?(text: string): void;
}

/** The API plus its event stream: the service in-process, or any client. */
export type DemoApi = Pick<SliceStudioApi, 'getAppInfo' | 'getHardware' | 'planModel' | 'startJob' | 'compareRuns' | 'cancelJob'> & {
  events: { subscribe(listener: (e: ApiEvent) => void): () => void };
};

export interface DemoResult {
  model: string;
  hardware: HardwareReport;
  plan: PlanModelResult;
  ep: ExecutionProvider;
  runs: { denseEval: number; slice: number; slicedEval: number };
  slice: SliceJobResult;
  /** Dense and sliced evaluation runs, as compareRuns returns them. */
  comparison: ComparedRun[];
  /** The side-by-side table as text. */
  table: string;
  seconds: number;
}

/** Starts a job and resolves with its end; `signal` cancels it. */
async function runJob(api: DemoApi, spec: Parameters<SliceStudioApi['startJob']>[0], report: DemoReporter, signal?: AbortSignal): Promise<{ runId: number; end: JobEndEvent }> {
  let ids: { jobId: string; runId: number } | null = null;
  const early: JobEvent[] = [];
  let finish!: (e: JobEndEvent) => void;
  const ended = new Promise<JobEndEvent>((r) => (finish = r));
  const handle = (e: JobEvent) => {
    if (e.type === 'done' || e.type === 'failed' || e.type === 'cancelled') finish(e);
    else if (e.type === 'progress') report.progress?.(e);
    else if (e.type === 'log') report.log?.(e.message);
  };
  const off = api.events.subscribe((ev) => {
    if (ev.channel !== 'job') return;
    const { channel: _c, ...e } = ev;
    if (!ids) early.push(e as JobEvent);
    else if (e.jobId === ids.jobId) handle(e as JobEvent);
  });
  const cancel = () => ids && void api.cancelJob(ids.jobId);
  signal?.addEventListener('abort', cancel);
  try {
    ids = await api.startJob(spec);
    if (signal?.aborted) cancel();
    for (const e of early.splice(0)) if (e.jobId === ids.jobId) handle(e);
    const end = await ended;
    if (end.type === 'failed') throw new DemoError(`${spec.kind} failed: ${end.message}`);
    if (end.type === 'cancelled') throw new DemoError(`the demo was cancelled (run ${ids.runId})`);
    return { runId: ids.runId, end };
  } finally {
    signal?.removeEventListener('abort', cancel);
    off();
  }
}

export async function runDemo(api: DemoApi, opts: DemoOptions = {}, report: DemoReporter = { step() {} }, signal?: AbortSignal): Promise<DemoResult> {
  const started = performance.now();
  // Options left undefined (a CLI flag not given) keep the defaults.
  const given = Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as DemoOptions;
  const o = { ...DEMO_DEFAULTS, ...given };
  const model = opts.model ?? (await api.getAppInfo()).demoModelPath;
  if (!model) throw new DemoError('the bundled demo model (resources/models/tiny-llama) is not installed');

  report.step('Detecting hardware');
  const hardware = await api.getHardware();
  const ep = opts.ep ?? hardware.chosenProvider.ep;
  report.log?.(`${hardware.cpu.model} (${hardware.cpu.cores} cores), ${hardware.gpus.length ? hardware.gpus.map((g) => g.name).join(', ') : 'no GPU'}; running on ${ep}: ${hardware.chosenProvider.reason}`);

  report.step(`Planning ${model} for this machine`);
  const plan = await api.planModel(model, { gpus: 'auto', ratio: o.ratio });
  report.log?.(
    plan.plan.fits
      ? plan.plan.ratio === 0
        ? `the dense model fits as it is; slicing at ${Math.round(o.ratio * 100)}% makes it smaller still (d = ${plan.estimate?.d})`
        : `the smallest ratio that fits is ${Math.round(plan.plan.ratio! * 100)}%`
      : `nothing fits here: ${plan.plan.reasons.join('; ')}`,
  );

  const evalParams = (folder: string) => ({ model: folder, tasks: o.tasks, limit: o.limit, ppl: true, pplMaxWindows: o.pplWindows, ep });
  report.step(`Evaluating the dense model (perplexity on ${o.pplWindows} windows, ${o.tasks.join(' + ')} × ${o.limit})`);
  const dense = await runJob(api, { kind: 'eval', params: evalParams(model), name: 'demo: dense' }, report, signal);

  report.step(`Slicing at ${Math.round(o.ratio * 100)}% (calibration: WikiText-2, ${o.nsamples} × ${o.seqlen} tokens, first windows)`);
  const sliced = await runJob(
    api,
    { kind: 'slice', params: { model, ratio: o.ratio, cal: 'wikitext2', nsamples: o.nsamples, seqlen: o.seqlen, sampling: 'first', seed: 42, round: 8, ep }, name: `demo: slice ${Math.round(o.ratio * 100)}%` },
    report,
    signal,
  );
  const slice = (sliced.end as Extract<JobEndEvent, { type: 'done' }>).result as SliceJobResult;

  report.step('Evaluating the sliced model the same way');
  const slicedEval = await runJob(api, { kind: 'eval', params: evalParams(slice.out), name: `demo: sliced ${Math.round(o.ratio * 100)}%` }, report, signal);

  const comparison = await api.compareRuns([dense.runId, slicedEval.runId]);
  const [sliceRun] = await api.compareRuns([sliced.runId]);
  const table = [
    formatComparison(comparison, { titles: ['dense', `sliced ${Math.round(o.ratio * 100)}%`] }),
    '',
    `slicing: run #${sliced.runId}, ${slice.seconds.toFixed(1)} s, peak memory ${sliceRun.peakRss ? `${(sliceRun.peakRss / 2 ** 20).toFixed(0)} MiB` : '—'}, ` +
      `d = ${slice.d} of ${slice.hiddenSize}, mean kept variance ${(100 * (sliceRun.metrics.find((m) => m.name === 'kept_variance_mean')?.value ?? NaN)).toFixed(1)}%`,
    `sliced model: ${slice.out}`,
  ].join('\n');
  return {
    model,
    hardware,
    plan,
    ep,
    runs: { denseEval: dense.runId, slice: sliced.runId, slicedEval: slicedEval.runId },
    slice,
    comparison,
    table,
    seconds: (performance.now() - started) / 1000,
  };
}
