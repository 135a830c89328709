// `eval`: zero-shot lm-eval 0.4 tasks (PIQA, WinoGrande, HellaSwag, ARC-e, ARC-c) on a dense or sliced
// model; with `ppl: true` the same run also measures WikiText-2 perplexity. The run keeps acc and acc_norm
// per task (metric `task` = the task, with standard errors), the paper's average, and the per-item
// log-likelihoods as a JSON-lines artifact (`<dataDir>/runs/<runId>/items.jsonl` unless given).
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { array, boolean, literal, nonEmptyString, object, optional, positiveInteger, PayloadError } from '../../base/validate';
import type { ExecutionProvider } from '../../runtime/contract';
import type { MetricInput } from '../../store/types';
import { TASK_NAMES, type TaskName } from '../../eval/tasks/types';
import type { TaskMetrics } from '../../eval/evaluate';
import { dataDir } from '../../base/paths';
import { executionProvider, inRange, measuringRss, modelFolder, summarizeModel, type ModelSummary } from './common';
import type { JobContext } from '../../base/job-context';
import { modelMetrics, pplMetrics, runPerplexity, windowsParam } from './ppl';
import { DEFAULT_PPL_SEQLEN, type PplProtocol } from '../../runtime/ppl-protocol';

export interface EvalParams {
  model: string;
  tasks: TaskName[];
  limit?: number;
  /** Also measure WikiText-2 perplexity in the same run. */
  ppl: boolean;
  /** Perplexity windows: the first n (default: the default protocol's)… */
  pplMaxWindows?: number;
  /** …or all of them. */
  pplAllWindows?: boolean;
  pplSeqlen: number;
  ep: ExecutionProvider;
  /** Where the per-item log-likelihoods go (JSON lines); filled in when the run exists. */
  items?: string;
  /** A dense folder to evaluate the same way afterwards (set by the service: the slice's baseline). */
  baseline?: string;
}

const shape = object({
  model: modelFolder,
  tasks: optional(array(literal(...TASK_NAMES))),
  limit: optional(positiveInteger),
  ppl: optional(boolean),
  pplMaxWindows: optional(positiveInteger),
  pplAllWindows: optional(boolean),
  pplSeqlen: optional(positiveInteger),
  ep: optional(executionProvider),
  items: optional(nonEmptyString),
  baseline: optional(modelFolder),
});

export const evalParams = paramsFrom('evaluation parameters', shape, (p, where): EvalParams => {
  inRange(`${where}.pplSeqlen`, p.pplSeqlen, 2, 1 << 20);
  const tasks = [...new Set(p.tasks ?? TASK_NAMES)];
  if (tasks.length === 0 && !p.ppl) throw new PayloadError(`${where}.tasks is empty and ppl is off: nothing to evaluate`);
  if (p.pplAllWindows && p.pplMaxWindows !== undefined) throw new PayloadError(`${where}: pplMaxWindows and pplAllWindows exclude each other`);
  const w = p.ppl ? windowsParam({ maxWindows: p.pplMaxWindows, allWindows: p.pplAllWindows }) : {};
  return {
    ...p,
    tasks,
    ppl: p.ppl ?? false,
    pplMaxWindows: w.maxWindows,
    ...(w.allWindows ? { pplAllWindows: true } : {}),
    pplSeqlen: p.pplSeqlen ?? DEFAULT_PPL_SEQLEN,
    ep: p.ep ?? 'cpu',
    ...(p.items ? { items: resolve(p.items) } : {}),
  };
});

export function defaultItemsPath(runId: number): string {
  return join(dataDir(), 'runs', String(runId), 'items.jsonl');
}

export interface EvalJobResult {
  model: ModelSummary;
  tasks: TaskMetrics[];
  /** Items per task asked for (null: every item). */
  limit: number | null;
  /** Mean of the tasks' primary metrics (the paper's average); null without tasks. */
  average: number | null;
  ppl: {
    ppl: number;
    pplStderr: number;
    protocol: PplProtocol;
    tokens: number;
    windows: number;
    seqLen: number;
    tokensPerSecond: number;
    seconds: number;
  } | null;
  items: { path: string; bytes: number } | null;
  timings: Record<string, number>;
  ep: ExecutionProvider;
  peakRssBytes: number;
  /** The dense model evaluated the same way (when the store had no such evaluation). */
  baseline?: Omit<EvalJobResult, 'baseline' | 'peakRssBytes'>;
}

async function runEval(ctx: JobContext, p: EvalParams): Promise<Omit<EvalJobResult, 'peakRssBytes'>> {
  const model = await summarizeModel(p.model);
  const timings: Record<string, number> = {};
  let ppl: EvalJobResult['ppl'] = null;
  if (p.ppl) {
    const r = await runPerplexity(ctx, {
      model: p.model,
      dataset: 'wikitext2',
      seqlen: p.pplSeqlen,
      maxWindows: p.pplMaxWindows,
      allWindows: p.pplAllWindows,
      ep: p.ep,
    });
    ppl = {
      ppl: r.ppl,
      pplStderr: r.pplStderr,
      protocol: r.protocol,
      tokens: r.tokens,
      windows: r.windows,
      seqLen: r.seqLen,
      tokensPerSecond: r.tokensPerSecond,
      seconds: r.seconds,
    };
    timings.ppl = r.seconds;
  }
  let tasks: TaskMetrics[] = [];
  let average: number | null = null;
  if (p.tasks.length) {
    const { evaluate } = await import('../../eval/evaluate');
    const r = await evaluate(ctx, { model: p.model, tasks: p.tasks, limit: p.limit, ep: p.ep, artifactPath: p.items });
    tasks = r.tasks;
    average = r.average;
    Object.assign(timings, r.timings);
  }
  const items = p.items && tasks.length ? { path: p.items, bytes: statSync(p.items).size } : null;
  return { model, tasks, limit: p.limit ?? null, average, ppl, items, timings, ep: p.ep };
}

export const evalJob = defineJob({
  kind: 'eval',
  runKind: 'eval',
  summary: 'Zero-shot accuracy (lm-eval 0.4 tasks) and optionally perplexity of a dense or sliced model',
  cli: { positionalLabel: 'a model folder (dense or sliced)', flags: { limit: { min: 1, max: 1 << 30 }, pplMaxWindows: { min: 1, max: 1 << 30 }, pplSeqlen: { min: 2, max: 1 << 20 }, items: { hidden: true }, baseline: { hidden: true } } },
  params: evalParams,
  describe: (p) => `eval ${basename(p.model)}: ${[...p.tasks, ...(p.ppl ? ['ppl'] : [])].join(', ')}${p.limit ? ` (limit ${p.limit})` : ''}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  prepare: (p, runId) => (p.items || p.tasks.length === 0 ? p : { ...p, items: defaultItemsPath(runId) }),
  run: (ctx, p): Promise<EvalJobResult> =>
    measuringRss(async () => {
      const r = await runEval(ctx, p);
      if (!p.baseline) return r;
      ctx.log(`evaluating the dense model ${p.baseline} the same way (once per protocol: the baseline of this slice)`);
      return { ...r, baseline: await runEval(ctx, { ...p, model: p.baseline, items: undefined, baseline: undefined }) };
    }),
  records(r): RunRecords {
    return {
      ...evalRecords(r),
      ...(r.baseline
        ? {
            baselineRun: {
              kind: 'eval',
              name: `dense baseline: eval ${basename(r.baseline.model.folder)}`,
              settings: {
                job: 'eval',
                model: r.baseline.model.folder,
                tasks: r.baseline.tasks.map((t) => t.task),
                limit: r.limit ?? undefined,
                ppl: r.ppl !== null,
              },
              metrics: evalRecords(r.baseline).metrics ?? [],
            },
          }
        : {}),
    };
  },
});

function evalRecords(r: Omit<EvalJobResult, 'baseline' | 'peakRssBytes'> & { peakRssBytes?: number }): RunRecords {
  const metrics: MetricInput[] = [];
  for (const t of r.tasks) {
    metrics.push({ name: 'acc', value: t.acc, stderr: t.accStderr, task: t.task });
    metrics.push({ name: 'acc_norm', value: t.accNorm, stderr: t.accNormStderr, task: t.task });
    metrics.push({ name: 'n', value: t.n, task: t.task });
  }
  if (r.average !== null) metrics.push({ name: 'average', value: r.average });
  if (r.ppl) metrics.push(...pplMetrics(r.ppl));
  metrics.push(...modelMetrics(r.model));
  return {
    metrics,
    artifacts: r.items ? [{ path: r.items.path, kind: 'eval-items', format: 'jsonl', bytes: r.items.bytes, runtime: r.ep }] : [],
    peakRss: r.peakRssBytes,
    ep: r.ep,
  };
}
