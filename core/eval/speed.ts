// The speed bench: prefill throughput and per-token decode latency with a KV cache, at batch 1 and a
// larger batch, on a chosen execution provider, for a dense or sliced model; peak memory (RSS).
//
// It drives the runtime's KV-cache graphs (attentionCached / parallelCached, the same path as
// core/runtime/generate.ts) but batched: generate.ts decodes one sequence, and the paper's throughput
// numbers need several. Greedy decoding of a fixed synthetic prompt: content does not change the work
// (no early stop: every row decodes exactly `newTokens` tokens). All layer weights are held in memory
// for the run, as in generation. Every phase is timed; each measurement is the median of `repeats`.
import { checkCancelled, type JobContext } from '../base/job-context';
import type { ExecutionProvider } from '../runtime/contract';
import type { ModelSource } from '../model/model-source';
import { createBlockRunner, type OrtRunner } from '../runtime/runner';
import { headVocab } from '../model/weights';
import { forwardCached, headLogits, LayerCaches, loadDecodeWeights, planDecoding, weightCount, type DecodeWeights } from '../runtime/decode-step';
import { runnerOptionsFor, type InferDtype, type InferencePlan } from '../runtime/inference-plan';
import { openAnyModel } from '../slicegpt/open';

export interface BenchParams {
  /** Model folder (dense or sliced). Ignored when `source` is given. */
  model: string;
  /** The larger batch (batch 1 is always measured too). Default 8. */
  batch?: number;
  ep?: ExecutionProvider;
  /** Prompt length in tokens. Default 128. */
  promptTokens?: number;
  /** Tokens decoded per sequence. Default 64. */
  newTokens?: number;
  /** Timed repetitions per batch size (median reported). Default 3. */
  repeats?: number;
  source?: ModelSource;
  /** Element type on a GPU EP ('auto': float16 there, float32 on the CPU). */
  dtype?: InferDtype | 'auto';
  /** VRAM budget in GB for the placement choice (default: the first GPU's, less 10 %). */
  vramGb?: number;
}

export interface BatchSpeed {
  batch: number;
  prefill: { seconds: number; tokensPerSecond: number };
  /** One decode step produces one token per sequence. */
  decode: { steps: number; seconds: number; msPerToken: number; tokensPerSecond: number };
  /** Every repetition, for spread. */
  runs: { prefillSeconds: number; decodeSeconds: number }[];
}

export interface BenchResult {
  model: string;
  ep: ExecutionProvider;
  family: string;
  /** Parameters counted from the loaded weights. */
  parameters: number;
  promptTokens: number;
  newTokens: number;
  repeats: number;
  results: BatchSpeed[];
  /** Wall-clock seconds per phase (load, warmup, batch:N). */
  phases: Record<string, number>;
  memory: { rssAfterLoadMB: number; peakRssMB: number };
  /** Where weights and KV cache lived and in which element type (see runtime/inference-plan.ts). */
  plan: InferencePlan;
}

export class BenchError extends Error {
  override name = 'BenchError';
}

const now = () => performance.now() / 1000;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export type Weights = DecodeWeights;

/** Greedy next ids from the last position of each row. */
async function nextIds(r: OrtRunner, w: Weights, last: Float32Array, batch: number): Promise<Int32Array> {
  const logits = await headLogits(r, w.head, last, batch);
  const V = headVocab(w.head);
  const ids = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    let best = 0;
    for (let v = 1; v < V; v++) if (logits[b * V + v] > logits[b * V + best]) best = v;
    ids[b] = best;
  }
  return ids;
}

/**
 * Greedy decoding of `batch` prompts of equal length with the KV-cache graphs: prefill, then `steps`
 * one-token steps. Returns the new ids ([step][row]) and the seconds of each phase.
 */
export async function decodeGreedy(ctx: JobContext, r: OrtRunner, w: Weights, prompt: Int32Array, batch: number, steps: number): Promise<{ ids: Int32Array[]; prefillSeconds: number; decodeSeconds: number }> {
  const P = prompt.length / batch;
  if (!Number.isInteger(P) || P < 1) throw new BenchError(`${prompt.length} prompt ids do not split into ${batch} rows`);
  const caches = new LayerCaches(w.layers.length);
  try {
    // Each phase ends with logits on the host, so device work is finished when the clock is read.
    const t0 = now();
    let next = await nextIds(r, w, await forwardCached(r, w, prompt, batch, P, 0, caches), batch);
    const t1 = now();
    const ids = [next];
    for (let i = 1; i < steps; i++) {
      checkCancelled(ctx);
      next = await nextIds(r, w, await forwardCached(r, w, next, batch, 1, P + i - 1, caches), batch);
      ids.push(next);
    }
    const t2 = now();
    return { ids, prefillSeconds: t1 - t0, decodeSeconds: t2 - t1 };
  } finally {
    caches.release();
  }
}

/** A fixed, varied prompt (distinct per row) inside the vocabulary: content does not change the work. */
function syntheticPrompt(batch: number, P: number, vocab: number): Int32Array {
  return Int32Array.from({ length: batch * P }, (_, i) => (i * 7919 + 17) % vocab);
}

/** Weights of every layer, held for the run (decoding needs them all for every token). */
export const loadAllWeights = loadDecodeWeights;

export async function bench(ctx: JobContext, params: BenchParams): Promise<BenchResult> {
  const batchLarge = params.batch ?? 8;
  const P = params.promptTokens ?? 128;
  const steps = params.newTokens ?? 64;
  const repeats = params.repeats ?? 3;
  const ep = params.ep ?? 'cpu';
  for (const [k, v] of Object.entries({ batch: batchLarge, promptTokens: P, newTokens: steps, repeats })) {
    if (!Number.isInteger(v) || v < 1) throw new BenchError(`${k} must be a positive integer, got ${v}`);
  }
  const phases: Record<string, number> = {};

  let t = now();
  ctx.progress({ phase: 'load', fraction: 0, message: 'loading weights' });
  const source = params.source ?? (await openAnyModel(params.model));
  if (P + steps + 1 > source.config.maxPositions) {
    throw new BenchError(`prompt (${P}) + new tokens (${steps + 1}) exceed the model's ${source.config.maxPositions} positions`);
  }
  const w = await loadAllWeights(source);
  const plan = await planDecoding(source, w, batchLarge * (P + steps + 1), { ep, dtype: params.dtype, vramGb: params.vramGb });
  const runner = await createBlockRunner(source.arch, runnerOptionsFor(ep, plan));
  phases.load = now() - t;
  const rssAfterLoad = process.memoryUsage().rss;
  const vocab = w.emb.tokens.rows;

  const batches = [...new Set([1, batchLarge])];
  const results: BatchSpeed[] = [];
  try {
    t = now();
    ctx.progress({ phase: 'warmup', fraction: 0 });
    // Compiles the sessions (prefill and one-token shapes) outside the timed runs.
    for (const b of batches) await decodeGreedy(ctx, runner, w, syntheticPrompt(b, Math.min(P, 8), vocab), b, 3);
    phases.warmup = now() - t;
    const total = batches.length * repeats;
    let done = 0;
    for (const b of batches) {
      t = now();
      const runs: BatchSpeed['runs'] = [];
      for (let i = 0; i < repeats; i++) {
        checkCancelled(ctx);
        // steps + 1 ids: the prefill yields the first, each of the `steps` timed decode steps one more.
        const { prefillSeconds, decodeSeconds } = await decodeGreedy(ctx, runner, w, syntheticPrompt(b, P, vocab), b, steps + 1);
        runs.push({ prefillSeconds, decodeSeconds });
        done++;
        ctx.progress({ phase: `batch:${b}`, fraction: done / total, message: `batch ${b}, run ${i + 1}/${repeats}` });
      }
      phases[`batch:${b}`] = now() - t;
      const pre = median(runs.map((r) => r.prefillSeconds));
      const dec = median(runs.map((r) => r.decodeSeconds));
      results.push({
        batch: b,
        prefill: { seconds: pre, tokensPerSecond: (b * P) / pre },
        decode: { steps, seconds: dec, msPerToken: (dec / steps) * 1000, tokensPerSecond: (b * steps) / dec },
        runs,
      });
    }
  } finally {
    await runner.dispose();
  }
  ctx.progress({ phase: 'done', fraction: 1 });
  return {
    model: source.folder,
    ep,
    family: source.config.family,
    parameters: weightCount(w),
    promptTokens: P,
    newTokens: steps,
    repeats,
    results,
    phases,
    // maxRSS is in kilobytes: the process's peak so far, which includes everything loaded before.
    memory: { rssAfterLoadMB: mb(rssAfterLoad), peakRssMB: mb(process.resourceUsage().maxRSS * 1024) },
    plan,
  };
}
