// `eval`: zero-shot lm-eval 0.4 tasks (PIQA, WinoGrande, HellaSwag, ARC-e, ARC-c) on a dense or sliced
// model; with `ppl: true` the same run also measures WikiText-2 perplexity. The run keeps acc and acc_norm
// per task (metric `task` = the task, with standard errors), the paper's average, and the per-item
// log-likelihoods as a JSON-lines artifact (`<dataDir>/runs/<runId>/items.jsonl` unless given).
import { statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { defineJob, type RunRecords } from '../registry';
import { array, boolean, literal, nonEmptyString, object, optional, positiveInteger, PayloadError, type Validator } from '../../api/validate';
import type { ExecutionProvider } from '../../runtime/contract';
import type { MetricInput } from '../../store/types';
import { TASK_NAMES, type TaskName } from '../../eval/tasks/types';
import type { TaskMetrics } from '../../eval/evaluate';
import { dataDir } from '../../paths';
import { executionProvider, inRange, measuringRss, modelFolder, summarizeModel, type ModelSummary } from './common';
import type { JobContext } from '../context';
import { modelMetrics, pplMetrics, runPerplexity } from './ppl';

export interface EvalParams {
  model: string;
  tasks: TaskName[];
  limit?: number;
  /** Also measure WikiText-2 perplexity in the same run. */
  ppl: boolean;
  pplMaxWindows?: number;
  pplSeqlen: number;
  ep: ExecutionProvider;
  /** Where the per-item log-likelihoods go (JSON lines); filled in when the run exists. */
  items?: string;
}

const shape = object({
  model: modelFolder,
  tasks: optional(array(literal(...TASK_NAMES))),
  limit: optional(positiveInteger),
  ppl: optional(boolean),
  pplMaxWindows: optional(positiveInteger),
  pplSeqlen: optional(positiveInteger),
  ep: optional(executionProvider),
  items: optional(nonEmptyString),
});

export const evalParams: Validator<EvalParams> = {
  describe: 'evaluation parameters',
  check(value, where) {
    const p = shape.check(value, where);
    inRange(`${where}.pplSeqlen`, p.pplSeqlen, 2, 1 << 20);
    const tasks = [...new Set(p.tasks ?? TASK_NAMES)];
    if (tasks.length === 0 && !p.ppl) throw new PayloadError(`${where}.tasks is empty and ppl is off: nothing to evaluate`);
    return { ...p, tasks, ppl: p.ppl ?? false, pplSeqlen: p.pplSeqlen ?? 256, ep: p.ep ?? 'cpu', ...(p.items ? { items: resolve(p.items) } : {}) };
  },
};

export function defaultItemsPath(runId: number): string {
  return join(dataDir(), 'runs', String(runId), 'items.jsonl');
}

export interface EvalJobResult {
  model: ModelSummary;
  tasks: TaskMetrics[];
  /** Mean of the tasks' primary metrics (the paper's average); null without tasks. */
  average: number | null;
  ppl: { ppl: number; tokens: number; windows: number; seqLen: number; tokensPerSecond: number; seconds: number } | null;
  items: { path: string; bytes: number } | null;
  timings: Record<string, number>;
  ep: ExecutionProvider;
  peakRssBytes: number;
}

async function runEval(ctx: JobContext, p: EvalParams): Promise<Omit<EvalJobResult, 'peakRssBytes'>> {
  const model = await summarizeModel(p.model);
  const timings: Record<string, number> = {};
  let ppl: EvalJobResult['ppl'] = null;
  if (p.ppl) {
    const r = await runPerplexity(ctx, { model: p.model, dataset: 'wikitext2', seqlen: p.pplSeqlen, maxWindows: p.pplMaxWindows, ep: p.ep });
    ppl = { ppl: r.ppl, tokens: r.tokens, windows: r.windows, seqLen: r.seqLen, tokensPerSecond: r.tokensPerSecond, seconds: r.seconds };
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
  return { model, tasks, average, ppl, items, timings, ep: p.ep };
}

export const evalJob = defineJob({
  kind: 'eval',
  runKind: 'eval',
  summary: 'Zero-shot accuracy (lm-eval 0.4 tasks) and optionally perplexity of a dense or sliced model',
  params: evalParams,
  describe: (p) => `eval ${basename(p.model)}: ${[...p.tasks, ...(p.ppl ? ['ppl'] : [])].join(', ')}${p.limit ? ` (limit ${p.limit})` : ''}`,
  modelPath: (p) => p.model,
  ep: (p) => p.ep,
  prepare: (p, runId) => (p.items || p.tasks.length === 0 ? p : { ...p, items: defaultItemsPath(runId) }),
  run: (ctx, p): Promise<EvalJobResult> => measuringRss(() => runEval(ctx, p)),
  records(r): RunRecords {
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
  },
});
