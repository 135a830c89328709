// The zero-shot evaluation job: lm-evaluation-harness 0.4 multiple-choice tasks on a dense or sliced
// model, on any execution provider. Per task: build the documents' requests, encode them as lm-eval
// does, score them chunk by chunk (layer-major, see loglikelihood.ts), and reduce to acc / acc_norm
// with standard errors. Per-item log-likelihoods go to a JSON-lines artifact when asked for.
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { checkCancelled, type JobContext } from '../base/job-context';
import type { BlockRunner, ExecutionProvider } from '../runtime/contract';
import type { ModelSource } from '../model/model-source';
import { createBlockRunner } from '../runtime/runner';
import { passRunnerOptions, planPasses } from '../runtime/inference-plan';
import { encodePair, modelInput, prefixTokenId, type EvalTokenizer, type ModelInput } from './encode';
import { LoglikelihoodScorer } from './loglikelihood';
import { mean, meanStderr, scoreDoc } from './metrics';
import { parseTasks, type EvalDoc, type TaskName } from './tasks/index';

export interface EvaluateParams {
  /** Model folder (dense Hugging Face or sliced). Ignored when `deps.source` is given. */
  model: string;
  /** Task names, as a list or "piqa,arc_easy"; all five when absent. */
  tasks?: string | readonly string[];
  /** At most N documents of each task (after `offset`). */
  limit?: number;
  /** Skip the first N documents of each task (to shard a long run; merge the artifacts). */
  offset?: number;
  ep?: ExecutionProvider;
  /** Write per-item log-likelihoods here (JSON lines). */
  artifactPath?: string;
  /** Also compute lm-eval's is_greedy per request (needs full logits: slower). */
  greedy?: boolean;
  /** Documents per layer-major pass over the model (default 64). */
  chunkDocs?: number;
}

/** Already-open pieces, so callers (tests, a UI holding a model) need not reopen them. */
export interface EvaluateDeps {
  source?: ModelSource;
  tokenizer?: EvalTokenizer;
  runner?: BlockRunner;
}

export interface TaskMetrics {
  task: TaskName;
  title: string;
  /** Documents scored. */
  n: number;
  acc: number;
  accStderr: number;
  accNorm: number;
  accNormStderr: number;
  /** The metric the SliceGPT paper reports for this task. */
  primaryMetric: 'acc' | 'acc_norm';
  /** Tokens run through the model (unpadded). */
  tokens: number;
  /** Requests whose continuation alone overflowed the model's window (scored on its last tokens). */
  overlong: number;
  seconds: { encode: number; score: number };
}

export interface EvaluateResult {
  model: string;
  ep: ExecutionProvider;
  limit: number | null;
  tasks: TaskMetrics[];
  /** Mean of the tasks' primary metrics (the paper's "average"). */
  average: number;
  /** Wall-clock seconds per phase. */
  timings: Record<string, number>;
  artifactPath?: string;
}

/** One line of the artifact file. */
export interface ItemRecord {
  task: TaskName;
  index: number;
  gold: number;
  logliks: number[];
  /** Continuation token counts (scored). */
  tokens: number[];
  /** Leading continuation tokens not scored (continuation longer than the window), when any. */
  dropped?: number[];
  /** Lengths (characters) acc_norm divided by. */
  lengths: number[];
  isGreedy?: boolean[];
  pred: number;
  predNorm: number;
  acc: 0 | 1;
  accNorm: 0 | 1;
}

export class EvaluateError extends Error {
  override name = 'EvaluateError';
}

const now = () => performance.now() / 1000;

async function loadTokenizerFor(folder: string): Promise<EvalTokenizer> {
  const { loadTokenizer } = await import('../model/tokenizer');
  return loadTokenizer(folder);
}

/** Encode one document's requests the lm-eval way (see encode.ts). */
export function encodeDoc(doc: EvalDoc, tok: EvalTokenizer, prefixTokenId: number | null, maxLength: number): ModelInput[] {
  return doc.requests.map((r) => modelInput(encodePair(tok, r.context, r.continuation, prefixTokenId), maxLength));
}

export async function evaluate(ctx: JobContext, params: EvaluateParams, deps: EvaluateDeps = {}): Promise<EvaluateResult> {
  const timings: Record<string, number> = {};
  const specs = parseTasks(params.tasks);
  const ep = params.ep ?? deps.runner?.ep ?? 'cpu';
  const chunkDocs = params.chunkDocs ?? 64;
  if (!Number.isInteger(chunkDocs) || chunkDocs < 1) throw new EvaluateError(`chunkDocs must be a positive integer, got ${chunkDocs}`);

  let t0 = now();
  ctx.progress({ phase: 'load', fraction: 0, message: 'loading tasks' });
  const offset = params.offset ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw new EvaluateError(`offset must be a non-negative integer, got ${offset}`);
  const docsByTask = specs.map((s) => s.load(params.limit === undefined ? undefined : offset + params.limit).slice(offset));
  timings.loadTasks = now() - t0;

  t0 = now();
  ctx.progress({ phase: 'load', fraction: 0, message: 'opening model' });
  const source = deps.source ?? (await (await import('../slicegpt/open')).openAnyModel(params.model));
  const tokenizer = deps.tokenizer ?? (await loadTokenizerFor(source.folder));
  const runner = deps.runner ?? (await createBlockRunner(source.arch, passRunnerOptions(ep, await planPasses(source.config, { ep }))));
  timings.loadModel = now() - t0;
  const prefix = prefixTokenId(tokenizer, source.config);

  let fd: number | null = null;
  if (params.artifactPath) {
    mkdirSync(dirname(params.artifactPath), { recursive: true });
    fd = openSync(params.artifactPath, 'w');
  }
  const results: TaskMetrics[] = [];
  try {
    const scorer = await LoglikelihoodScorer.create(source, runner, { greedy: params.greedy });
    const totalDocs = docsByTask.reduce((s, d) => s + d.length, 0);
    let doneDocs = 0;
    const start = now();
    for (let ti = 0; ti < specs.length; ti++) {
      const spec = specs[ti];
      const docs = docsByTask[ti];
      const phase = `task:${spec.name}`;
      ctx.log(`${spec.name}: ${docs.length} documents`);
      let encodeS = 0;
      let scoreS = 0;
      let tokens = 0;
      let overlong = 0;
      const accs: number[] = [];
      const accNorms: number[] = [];
      for (let c0 = 0; c0 < docs.length; c0 += chunkDocs) {
        checkCancelled(ctx);
        const chunk = docs.slice(c0, c0 + chunkDocs);
        let t = now();
        const inputs = chunk.map((d) => encodeDoc(d, tokenizer, prefix, scorer.maxLength));
        encodeS += now() - t;
        for (const g of inputs) {
          for (const r of g) {
            tokens += r.input.length;
            if (r.dropped) overlong++;
          }
        }
        t = now();
        let chunkDone = 0;
        const scored = await scorer.scoreGroups(inputs, {
          signal: ctx.signal,
          onGroups: (n) => {
            chunkDone += n;
            const done = doneDocs + chunkDone;
            const elapsed = now() - start;
            ctx.progress({
              phase,
              fraction: done / totalDocs,
              etaSeconds: done > 0 ? (elapsed / done) * (totalDocs - done) : undefined,
              message: `${spec.name} ${c0 + chunkDone}/${docs.length}`,
              data: { task: spec.name, done: c0 + chunkDone, total: docs.length },
            });
          },
        });
        scoreS += now() - t;
        doneDocs += chunk.length;
        const lines: string[] = [];
        chunk.forEach((doc, i) => {
          const logliks = scored[i].map((s) => s.loglik);
          const s = scoreDoc(logliks, doc.choices, doc.gold);
          accs.push(s.acc);
          accNorms.push(s.accNorm);
          if (fd !== null) {
            const rec: ItemRecord = {
              task: spec.name,
              index: doc.index,
              gold: doc.gold,
              logliks,
              tokens: inputs[i].map((r) => r.continuation.length),
              ...(inputs[i].some((r) => r.dropped) ? { dropped: inputs[i].map((r) => r.dropped ?? 0) } : {}),
              lengths: doc.choices.map((c) => [...c].length),
              ...(params.greedy ? { isGreedy: scored[i].map((x) => x.isGreedy ?? false) } : {}),
              ...s,
            };
            lines.push(JSON.stringify(rec));
          }
        });
        if (fd !== null && lines.length) writeSync(fd, lines.join('\n') + '\n');
      }
      const m: TaskMetrics = {
        task: spec.name,
        title: spec.title,
        n: docs.length,
        acc: mean(accs),
        accStderr: meanStderr(accs),
        accNorm: mean(accNorms),
        accNormStderr: meanStderr(accNorms),
        primaryMetric: spec.primaryMetric,
        tokens,
        overlong,
        seconds: { encode: encodeS, score: scoreS },
      };
      timings[phase] = encodeS + scoreS;
      if (overlong) ctx.log(`${spec.name}: ${overlong} continuations longer than the ${scorer.maxLength}-token window were scored on their last ${scorer.maxLength} tokens`);
      results.push(m);
      ctx.log(`${spec.name}: acc ${m.acc.toFixed(4)} ± ${m.accStderr.toFixed(4)}, acc_norm ${m.accNorm.toFixed(4)} ± ${m.accNormStderr.toFixed(4)}`);
    }
  } finally {
    if (fd !== null) closeSync(fd);
    // A scorer that kept its layers left their uploads on a caller's resident runner: the next evaluation reads
    // its layers afresh, so these would only hold VRAM (keep-weights.ts).
    if (!deps.runner) await runner.dispose();
    else await runner.releaseUploads?.();
  }
  ctx.progress({ phase: 'done', fraction: 1 });
  const average = mean(results.map((r) => (r.primaryMetric === 'acc' ? r.acc : r.accNorm)));
  return {
    model: source.folder,
    ep,
    limit: params.limit ?? null,
    tasks: results,
    average,
    timings,
    ...(params.artifactPath ? { artifactPath: params.artifactPath } : {}),
  };
}
