// The speed bench: prefill throughput and per-token decode latency with a KV cache on a chosen execution
// provider, for a dense or sliced model, at the paper's separate shapes (speedShapes): the prompt pass at
// batch 1 and B with long prompts, decoding at batch 1 and B' after a short prompt; peak memory (RSS).
// measureShapes is the one measurement behind both the app's `bench` job and `npm run bench -- infer-speed`.
//
// It drives the runtime's KV-cache step (decode-step.ts greedyDecode over forwardCached, the same path as
// core/runtime/generate.ts) but batched: generate.ts decodes one sequence, and the paper's throughput
// numbers need several. Greedy decoding of a fixed synthetic prompt: content does not change the work
// (no early stop: every row decodes exactly `newTokens` tokens). All layer weights are held in memory
// for the run, as in generation. Every shape is warmed up and timed; each number is the median of `repeats`.
import { checkCancelled, type JobContext } from '../base/job-context';
import { userMessage } from '../base/user-error';
import type { ExecutionProvider } from '../runtime/contract';
import type { ModelSource } from '../model/model-source';
import { createBlockRunner, type OrtRunner } from '../runtime/runner';
import { greedyDecode, loadDecodeWeights, planDecoding, weightCount, type DecodeWeights, type GreedyHooks } from '../runtime/decode-step';
import { runnerOptionsFor, type InferDtype, type InferencePlan } from '../runtime/inference-plan';
import { openAnyModel } from '../slicegpt/open';
import type { ArchSpec } from '../model/model-source';
import type { WgslDecoder } from '../runtime/wgsl-decode/decoder';
import { batch1Decoder, engineInfo, releaseBatch1Decoder, wgslDecodeRefusal, type DecodeEngineInfo, type DecodeEngineName } from '../runtime/wgsl-decode/engine-choice';
import { greedyDecodeWgsl } from '../runtime/wgsl-decode/greedy';
import { closeWgslDevice } from '../hardware/webgpu-device';
import { deviceTensorsHeld } from '../runtime/transfer-count';

export interface BenchParams {
  /** Model folder (dense or sliced). Ignored when `source` is given. */
  model: string;
  /** Both larger batches at once (prefill and decode), where `prefillBatch` / `decodeBatch` are not given. */
  batch?: number;
  ep?: ExecutionProvider;
  /** Prefill prompt length (tokens). Default sized for the model: min(2048, positions / 2). */
  promptTokens?: number;
  /** The larger prefill batch (batch 1 is always measured too). Default 8. */
  prefillBatch?: number;
  /** Prompt length before decoding. Default min(128, positions / 8). */
  decodePrompt?: number;
  /** The larger decode batch (batch 1 is always measured too). Default 16. */
  decodeBatch?: number;
  /** Tokens decoded per sequence (timed steps). Default 32. */
  newTokens?: number;
  /** Timed repetitions per shape (median reported). Default 2. */
  repeats?: number;
  source?: ModelSource;
  /** Element type on a GPU EP ('auto': float16 there, float32 on the CPU). */
  dtype?: InferDtype | 'auto';
  /** VRAM budget in GB for the placement choice (default: the first GPU's, less 10 %). */
  vramGb?: number;
}

/**
 * The shapes measured (the paper's and `npm run bench -- infer-speed`'s): the prompt pass at batch 1 and
 * `prefillBatch` with `promptTokens`-token prompts; decoding at batch 1 and `decodeBatch` after a short
 * `decodePrompt`, `newTokens` timed steps each.
 */
export interface SpeedShapes {
  promptTokens: number;
  prefillBatch: number;
  decodePrompt: number;
  decodeBatch: number;
  newTokens: number;
  repeats: number;
}

/** One prefill shape: tokens/s of the prompt pass (batch × promptTokens per median second). */
export interface PrefillPoint {
  batch: number;
  promptTokens: number;
  seconds?: number;
  tokensPerSecond?: number;
  /** Every timed repetition's seconds. */
  runs?: number[];
  /** The one-line error when this shape failed (the benchmark goes on to the next shape). */
  error?: string;
}

/** One decode shape: a step makes one token per row. */
export interface DecodePoint {
  batch: number;
  promptTokens: number;
  steps: number;
  seconds?: number;
  msPerToken?: number;
  tokensPerSecond?: number;
  runs?: number[];
  error?: string;
  /** The engine that decoded this shape (absent: ORT, no choice was made). */
  engine?: DecodeEngineName;
}

export interface ShapeSpeeds {
  /** The first run (session compiles, shader builds, weight upload), timed apart from the numbers. */
  firstRunSeconds: number;
  prefill: PrefillPoint[];
  decode: DecodePoint[];
  /** Wall-clock seconds per shape (prefill:B, decode:B), its warm-up included. */
  phases: Record<string, number>;
  /** Batch-1 decoding's engine and why (with MeasureOptions.wgsl: the WGSL decoder on the webgpu EP, or ORT). */
  decodeEngine?: DecodeEngineInfo;
  /** Per shape, in the order run (and `release`, ORT's copy freed before the WGSL decoder's upload): the copies held. */
  held: Record<string, HeldCopies>;
}

/**
 * The copies of the weights a shape ran with: ORT's device tensors (its resident weights and tables, counted as
 * transfer-count.ts deviceTensorsHeld counts them, at the shape's end) and the WGSL decoder's device MB.
 */
export interface HeldCopies {
  ortDeviceTensors: number;
  wgslMB: number;
}

/**
 * measureShapes' choice of the batch-1 decode engine: the model's architecture and the inference plan. Where
 * the WGSL decoder is to be tried, batch-1 decoding runs last and the runner is disposed before it (its device
 * tensors, then its sessions: ORT's copy of the weights and its buffer cache go), so the device holds one copy
 * of the weights at a time; the runner stays usable (a later run compiles and uploads again, as the ORT
 * fallback does). `onPhase`: each phase's name as it starts (the bench's per-phase VRAM peaks).
 */
export interface MeasureOptions {
  wgsl?: { arch: ArchSpec; plan: InferencePlan };
  onPhase?: (phase: string) => void;
}

export interface BenchResult extends ShapeSpeeds {
  model: string;
  ep: ExecutionProvider;
  family: string;
  /** Parameters counted from the loaded weights. */
  parameters: number;
  shapes: SpeedShapes;
  memory: { rssAfterLoadMB: number; peakRssMB: number };
  /** Where weights and KV cache lived and in which element type (see runtime/inference-plan.ts). */
  plan: InferencePlan;
}

export class BenchError extends Error {
  override name = 'BenchError';
}

const now = () => performance.now() / 1000;
const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
/** The lower median (of two runs, the faster): what infer-speed has always reported. */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

export type Weights = DecodeWeights;

/**
 * Greedy decoding of `batch` prompts of equal length with the KV-cache graphs: prefill, then `steps`
 * one-token steps. Returns the new ids ([step][row]) and the seconds of each phase.
 */
export async function decodeGreedy(ctx: JobContext, r: OrtRunner, w: Weights, prompt: Int32Array, batch: number, steps: number): Promise<{ ids: Int32Array[]; prefillSeconds: number; decodeSeconds: number }> {
  const P = prompt.length / batch;
  if (!Number.isInteger(P) || P < 1) throw new BenchError(`${prompt.length} prompt ids do not split into ${batch} rows`);
  return timedGreedy(ctx, steps, (n, hooks) => greedyDecode(r, w, prompt, batch, n, hooks));
}

/** decodeGreedy at batch 1 with the WGSL decoder: the prompt fed a token a step, then `steps` − 1 timed steps. */
export function decodeGreedyWgsl(ctx: JobContext, dec: WgslDecoder, prompt: Int32Array, steps: number): Promise<{ ids: Int32Array[]; prefillSeconds: number; decodeSeconds: number }> {
  return timedGreedy(ctx, steps, (n, hooks) => greedyDecodeWgsl(dec, prompt, n, hooks));
}

/** A greedy decode of `steps` ids (the prompt's and steps − 1 more) clocked per phase, cancellable between steps. */
async function timedGreedy(ctx: JobContext, steps: number, decode: (steps: number, hooks: GreedyHooks) => Promise<Int32Array[]>): Promise<{ ids: Int32Array[]; prefillSeconds: number; decodeSeconds: number }> {
  // Each phase ends with ids on the host, so device work is finished when the clock is read.
  const t0 = now();
  let t1 = t0;
  const ids = await decode(Math.max(0, steps - 1), { afterPrompt: () => (t1 = now()), beforeStep: () => checkCancelled(ctx) });
  const t2 = now();
  return { ids, prefillSeconds: t1 - t0, decodeSeconds: t2 - t1 };
}

/** A fixed, varied prompt (distinct per row) inside the vocabulary: content does not change the work. */
function syntheticPrompt(batch: number, P: number, vocab: number): Int32Array {
  return Int32Array.from({ length: batch * P }, (_, i) => (i * 7919 + 17) % vocab);
}

/** Weights of every layer, held for the run (decoding needs them all for every token). */
export const loadAllWeights = loadDecodeWeights;

/**
 * The shapes for a model of `maxPositions` positions: what is given, the rest sized for the model — the
 * benchmark's 2048-token prompts and 128-token decode prompts where the model has room (4096 positions and
 * up), proportionally less where it has not (a 512-position tiny model: 256 and 64), so a tiny model on
 * the CPU stays fast. `batch` sets both larger batches where they are not given.
 */
export function speedShapes(maxPositions: number, p: Partial<SpeedShapes> & { batch?: number } = {}): SpeedShapes {
  const s: SpeedShapes = {
    promptTokens: p.promptTokens ?? Math.min(2048, Math.floor(maxPositions / 2)),
    prefillBatch: p.prefillBatch ?? p.batch ?? 8,
    decodePrompt: p.decodePrompt ?? Math.max(1, Math.min(128, Math.floor(maxPositions / 8))),
    decodeBatch: p.decodeBatch ?? p.batch ?? 16,
    newTokens: p.newTokens ?? 32,
    repeats: p.repeats ?? 2,
  };
  for (const [k, v] of Object.entries(s)) {
    if (!Number.isInteger(v) || v < 1) throw new BenchError(`${k} must be a positive integer, got ${v}`);
  }
  if (s.promptTokens > maxPositions) throw new BenchError(`the prefill prompt (${s.promptTokens} tokens) exceeds the model's ${maxPositions} positions`);
  if (s.decodePrompt + s.newTokens + 1 > maxPositions) {
    throw new BenchError(`decode prompt (${s.decodePrompt}) + new tokens (${s.newTokens + 1}) exceed the model's ${maxPositions} positions`);
  }
  return s;
}

/** Rows × positions the largest KV cache of these shapes holds (for the placement plan). */
export const cachePositions = (s: SpeedShapes): number => Math.max(s.prefillBatch * s.promptTokens, s.decodeBatch * (s.decodePrompt + s.newTokens + 1));

/**
 * Every shape of `s` on a runner holding `w` — the one measurement behind the app's `bench` job and
 * `npm run bench -- infer-speed`. Each shape is warmed up once at its own size, then timed `repeats` times
 * (median). `onError` 'record': a shape that fails (a device limit at batch 8 × 2048, say) keeps its
 * one-line error in its entry and the others' numbers stand; 'throw': the first failure ends the run.
 */
export async function measureShapes(ctx: JobContext, r: OrtRunner, w: Weights, s: SpeedShapes, onError: 'record' | 'throw' = 'throw', o: MeasureOptions = {}): Promise<ShapeSpeeds> {
  const V = w.emb.tokens.rows;
  const phases: Record<string, number> = {};
  const held: Record<string, HeldCopies> = {};
  let t = now();
  o.onPhase?.('warmup');
  ctx.progress({ phase: 'warmup', fraction: 0 });
  // First runs compile the sessions and shaders and upload the weights: timed apart, not in the numbers.
  await decodeGreedy(ctx, r, w, syntheticPrompt(1, Math.min(8, s.promptTokens), V), 1, Math.min(3, s.newTokens + 1));
  const firstRunSeconds = now() - t;
  const prefillBatches = [...new Set([1, s.prefillBatch])];
  const decodeBatches = [...new Set([1, s.decodeBatch])];
  // One copy of the weights at a time: where WGSL may decode batch 1, ORT's shapes all run first.
  const wgslFirstTry = o.wgsl !== undefined && wgslDecodeRefusal(r.ep, o.wgsl.arch, o.wgsl.plan) === null;
  const decodeOrder = wgslFirstTry ? [...decodeBatches].reverse() : decodeBatches;
  const total = prefillBatches.length + decodeBatches.length;
  let done = 0;
  let wgslBytes = 0;
  const attempt = async (phase: string, entry: { error?: string }, f: () => Promise<void>) => {
    o.onPhase?.(phase);
    t = now();
    wgslBytes = 0;
    try {
      await f();
    } catch (e) {
      if (onError === 'throw' || (e instanceof Error && e.name === 'CancelledError')) throw e;
      entry.error = userMessage(e).message;
    }
    phases[phase] = now() - t;
    held[phase] = { ortDeviceTensors: deviceTensorsHeld(), wgslMB: mb(wgslBytes) };
    ctx.progress({ phase, fraction: ++done / total, message: `${phase.replace(':', ' at batch ')}` });
  };
  const prefill: PrefillPoint[] = [];
  for (const b of prefillBatches) {
    const entry: PrefillPoint = { batch: b, promptTokens: s.promptTokens };
    prefill.push(entry);
    await attempt(`prefill:${b}`, entry, async () => {
      const ids = syntheticPrompt(b, s.promptTokens, V);
      await decodeGreedy(ctx, r, w, ids, b, 1); // warm-up at this shape
      const runs: number[] = [];
      for (let i = 0; i < s.repeats; i++) {
        checkCancelled(ctx);
        runs.push((await decodeGreedy(ctx, r, w, ids, b, 1)).prefillSeconds);
      }
      const sec = median(runs);
      Object.assign(entry, { seconds: sec, tokensPerSecond: (b * s.promptTokens) / sec, runs });
    });
  }
  const decode: DecodePoint[] = decodeBatches.map((b) => ({ batch: b, promptTokens: s.decodePrompt, steps: s.newTokens }));
  let decodeEngine: DecodeEngineInfo | undefined;
  for (const b of decodeOrder) {
    const entry = decode[decodeBatches.indexOf(b)];
    if (b === 1 && wgslFirstTry) {
      // ORT's resident weights, tables and sessions go before the WGSL decoder uploads its own copy.
      o.onPhase?.('release');
      t = now();
      await r.dispose();
      phases.release = now() - t;
      held.release = { ortDeviceTensors: deviceTensorsHeld(), wgslMB: 0 };
    }
    await attempt(`decode:${b}`, entry, async () => {
      const ids = syntheticPrompt(b, s.decodePrompt, V);
      // Batch 1 may decode with the WGSL decoder (its own weights on the device, freed after the shape).
      const choice = b === 1 && o.wgsl ? await batch1Decoder(r.ep, o.wgsl.arch, w, s.decodePrompt + s.newTokens + 1, o.wgsl.plan) : undefined;
      if (choice) decodeEngine = engineInfo(choice);
      if (choice || o.wgsl) entry.engine = choice?.engine ?? 'ort';
      const dec = choice?.engine === 'wgsl' ? choice.decoder : undefined;
      if (dec) wgslBytes = dec.deviceBytes;
      const run = (steps: number) => (dec ? decodeGreedyWgsl(ctx, dec, ids, steps) : decodeGreedy(ctx, r, w, ids, b, steps));
      try {
        await run(Math.min(4, s.newTokens + 1));
        const runs: number[] = [];
        for (let i = 0; i < s.repeats; i++) {
          checkCancelled(ctx);
          // newTokens + 1 ids: the prefill yields the first, each of the `newTokens` timed steps one more.
          runs.push((await run(s.newTokens + 1)).decodeSeconds);
        }
        const sec = median(runs);
        Object.assign(entry, { seconds: sec, msPerToken: (sec / s.newTokens) * 1000, tokensPerSecond: (b * s.newTokens) / sec, runs });
      } finally {
        await releaseBatch1Decoder(choice);
      }
    });
  }
  return { firstRunSeconds, prefill, decode, phases, held, ...(decodeEngine ? { decodeEngine } : {}) };
}

/** The app's `bench` job: one model, every shape, the first failure ending the run in one line. */
export async function bench(ctx: JobContext, params: BenchParams): Promise<BenchResult> {
  const ep = params.ep ?? 'cpu';
  let t = now();
  ctx.progress({ phase: 'load', fraction: 0, message: 'loading weights' });
  const source = params.source ?? (await openAnyModel(params.model));
  const shapes = speedShapes(source.config.maxPositions, params);
  const w = await loadAllWeights(source);
  const plan = await planDecoding(source, w, cachePositions(shapes), { ep, dtype: params.dtype, vramGb: params.vramGb });
  const runner = await createBlockRunner(source.arch, runnerOptionsFor(ep, plan));
  const load = now() - t;
  const rssAfterLoad = process.memoryUsage().rss;
  let speeds: ShapeSpeeds;
  try {
    speeds = await measureShapes(ctx, runner, w, shapes, 'throw', { wgsl: { arch: source.arch, plan } });
  } finally {
    await runner.dispose();
    await closeWgslDevice(); // the job's end: the WGSL decoder's device (if it opened) lets the process go
  }
  ctx.progress({ phase: 'done', fraction: 1 });
  return {
    model: source.folder,
    ep,
    family: source.config.family,
    parameters: weightCount(w),
    shapes,
    ...speeds,
    phases: { load, warmup: speeds.firstRunSeconds, ...speeds.phases },
    // maxRSS is in kilobytes: the process's peak so far, which includes everything loaded before.
    memory: { rssAfterLoadMB: mb(rssAfterLoad), peakRssMB: mb(process.resourceUsage().maxRSS * 1024) },
    plan,
  };
}
