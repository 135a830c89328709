// Decoding with a KV cache, greedy or sampled (sampling.ts). The prompt is prefilled in one pass per layer through the
// cache-enabled attention graphs (past length 0), then each new token runs one position per layer
// against the growing cache. Unlike the layer-major passes, decoding needs every layer for every
// token, so all layer weights are held in memory for the duration.
import { checkCancelled, quietContext, type JobContext } from '../base/job-context';
import type { ExecutionProvider } from './contract';
import type { ModelSource } from '../model/model-source';
import { createBlockRunner, withBlockRunner, type OrtRunner } from './runner';
import { forwardCached, headLogits, LayerCaches, loadDecodeWeights, planDecoding, type DecodeWeights, type LastRows, type PlanRequest } from './decode-step';
import { runnerOptionsFor, type InferencePlan } from './inference-plan';
import { tokenChooser, type SamplingOptions } from './sampling';
import { buildPrompt, checkFits, type BuiltPrompt, type PromptStyle } from './prompt';
import type { Tokenizer } from '../model/tokenizer';
import { generateResult, type Decoder, type GenerateOptions, type GenerateResult } from './generate-types';
import { batch1Decoder, engineInfo, releaseBatch1Decoder, type DecodeEngineChoice, type DecodeEngineInfo } from './wgsl-decode/engine-choice';
import { openWgslSequence } from './wgsl-decode/sequence';
import { closeWgslDevice } from '../hardware/webgpu-device';

export type { Decoder, GenerateOptions, GenerateResult } from './generate-types';

/** `weights`: the model's weights when the caller loaded them already (to plan with them). */
export async function openDecoder(src: ModelSource, runner: OrtRunner, prompt: ArrayLike<number>, opts: GenerateOptions = {}, weights?: DecodeWeights): Promise<Decoder> {
  const maxNew = opts.maxNewTokens ?? 64;
  const P = prompt.length;
  checkFits(src, P, maxNew);
  const stop = new Set(opts.stopIds ?? (src.config.eosTokenId !== null ? [src.config.eosTokenId] : []));
  const choose = tokenChooser(opts.sampling);
  const w = weights ?? (await loadDecodeWeights(src));
  const caches = new LayerCaches(w.layers.length);
  const ids: number[] = [];
  let prefillMs = 0;
  let decodeMs = 0;
  let done = false;
  const logitsOf = async (last: LastRows) => choose(await headLogits(runner, w.head, last, 1));
  const forward = (tokens: Int32Array, seq: number, at: number) => forwardCached(runner, w, tokens, 1, seq, at, caches);
  const finish = (id: number): number => {
    ids.push(id);
    opts.onToken?.(id);
    if (ids.length >= maxNew || stop.has(id)) {
      done = true;
      caches.release(); // the cache is the large allocation: let it go as soon as the model stops
    }
    return id;
  };
  return {
    async next() {
      if (done) return null;
      const t0 = performance.now();
      if (ids.length === 0) {
        const id = await logitsOf(await forward(Int32Array.from(prompt), P, 0));
        prefillMs += performance.now() - t0;
        return finish(id);
      }
      const x = await forward(Int32Array.of(ids[ids.length - 1]), 1, P + ids.length - 1);
      const id = await logitsOf(x);
      decodeMs += performance.now() - t0;
      return finish(id);
    },
    close: () => caches.release(),
    result: () => generateResult(ids, P, prefillMs, decodeMs),
  };
}

/** Continuation of `prompt` (token ids) with an existing runner: greedy, or sampled per `opts.sampling`. */
export async function generateIds(src: ModelSource, runner: OrtRunner, prompt: ArrayLike<number>, opts: GenerateOptions = {}, ctx: JobContext = quietContext(), weights?: DecodeWeights): Promise<GenerateResult> {
  const maxNew = opts.maxNewTokens ?? 64;
  const decoder = await openDecoder(src, runner, prompt, opts, weights);
  try {
    for (let n = 1; (await decoder.next()) !== null; n++) {
      ctx.progress({ phase: 'generate', fraction: n / maxNew });
      checkCancelled(ctx);
    }
    return decoder.result();
  } finally {
    decoder.close();
  }
}

/** A continuation of token ids, owning its runner, which keeps the weights where the inference plan says. */
export async function generateWithRunner(src: ModelSource, prompt: ArrayLike<number>, opts: GenerateOptions & PlanRequest = {}, ctx: JobContext = quietContext()): Promise<GenerateResult & { plan: InferencePlan }> {
  const w = await loadDecodeWeights(src);
  const plan = await planDecoding(src, w, prompt.length + (opts.maxNewTokens ?? 64), opts);
  return withBlockRunner(src.arch, runnerOptionsFor(opts.ep ?? 'cpu', plan), async (runner) => ({ ...(await generateIds(src, runner, prompt, opts, ctx, w)), plan }));
}

export interface GenerateTextResult extends GenerateResult {
  /** Prompt and continuation, decoded together (special tokens skipped). */
  text: string;
  /** The continuation alone. */
  completion: string;
  /** Whether the model's chat template shaped the prompt, and a line that says so (or why not). */
  style: PromptStyle;
  note: string;
  /** Prompt tokens dropped from the start to fit (truncate 'left'). */
  truncated: number;
  /** Where the weights and KV cache lived, in which element type, and why (one line in `plan.reason`). */
  plan: InferencePlan;
  /** On a GPU EP: the engine that decoded (the WGSL decoder on webgpu where it can, else ORT) and why. */
  decodeEngine?: DecodeEngineInfo;
}

export interface GenerateTextParams {
  prompt: string;
  maxNewTokens?: number;
  ep?: ExecutionProvider;
  /** Element type of weights and activations on a GPU EP ('auto': float16 there). */
  dtype?: PlanRequest['dtype'];
  /** VRAM budget in GB (default: the first GPU's, less 10 %). */
  vramGb?: number;
  stopIds?: number[];
  onToken?: (id: number) => void;
  sampling?: SamplingOptions;
  /** Apply the model's chat template where it has one (default true). */
  chat?: boolean;
  truncate?: 'error' | 'left';
  /** Each model's continuation so far, after each of its tokens: for streaming it to a view. */
  onText?: (update: StreamUpdate) => void;
}

export interface StreamUpdate {
  /** Which model (index into the models given). */
  column: number;
  completion: string;
  tokens: number;
  /** Decode speed so far (tokens after the first / decode seconds). */
  tokensPerSecond: number;
}

/** A continuation decoded so far, minus a trailing partial character (byte-fallback tokens complete it later). */
const settled = (text: string) => text.replace(/\uFFFD+$/, '');

/**
 * Text in, text out, for one or more models (a dense model and its slice, side by side): each model's own
 * tokenizer and template build its prompt, and the models take turns, one token each, so both stream at
 * once and each one's tokens/s counts only its own steps. With sampling, every model draws from its own
 * generator seeded alike.
 */
export async function generateSideBySide(models: (string | ModelSource)[], params: GenerateTextParams, ctx: JobContext = quietContext()): Promise<GenerateTextResult[]> {
  const { loadTokenizer } = await import('../model/tokenizer');
  const { openModel } = await import('../model/source');
  const maxNewTokens = params.maxNewTokens ?? 64;
  const runners: OrtRunner[] = [];
  const engines: DecodeEngineChoice[] = [];
  const columns: { tok: Tokenizer; prompt: BuiltPrompt; decoder: Decoder; head: string; plan: InferencePlan; engine?: DecodeEngineInfo }[] = [];
  try {
    for (const m of models) {
      const src = typeof m === 'string' ? await openModel(m) : m;
      const tok = await loadTokenizer(src.folder);
      const prompt = buildPrompt(src, tok, params.prompt, { chat: params.chat, truncate: params.truncate, maxNewTokens });
      const w = await loadDecodeWeights(src);
      const plan = await planDecoding(src, w, prompt.ids.length + maxNewTokens, params);
      const ep = params.ep ?? 'cpu';
      const gen = { maxNewTokens, stopIds: params.stopIds, onToken: params.onToken, sampling: params.sampling };
      // Batch 1 on the webgpu EP: the WGSL decoder where it runs (its own weights on the device; no ORT runner).
      const choice = ep === 'cpu' ? undefined : await batch1Decoder(ep, src.arch, w, prompt.ids.length + maxNewTokens, plan);
      if (choice) engines.push(choice);
      let decoder: Decoder;
      if (choice?.engine === 'wgsl') decoder = openWgslSequence(choice.decoder, prompt.ids, gen, src.config.eosTokenId);
      else {
        const runner = await createBlockRunner(src.arch, runnerOptionsFor(ep, plan));
        runners.push(runner);
        decoder = await openDecoder(src, runner, prompt.ids, gen, w);
      }
      columns.push({ tok, prompt, decoder, head: tok.decode(prompt.ids, { skipSpecialTokens: true }), plan, ...(choice ? { engine: engineInfo(choice) } : {}) });
    }
    const completionOf = (c: (typeof columns)[number], ids: number[]) => {
      const text = c.tok.decode([...c.prompt.ids, ...ids], { skipSpecialTokens: true });
      return { text, completion: text.startsWith(c.head) ? text.slice(c.head.length) : c.tok.decode(ids, { skipSpecialTokens: true }) };
    };
    const live = new Set(columns.keys());
    let produced = 0;
    while (live.size) {
      for (const i of [...live]) {
        const c = columns[i];
        if ((await c.decoder.next()) === null) {
          live.delete(i);
          continue;
        }
        produced++;
        if (params.onText) {
          const r = c.decoder.result();
          params.onText({ column: i, completion: settled(completionOf(c, r.ids).completion), tokens: r.ids.length, tokensPerSecond: r.tokensPerSecond });
        }
      }
      ctx.progress({ phase: 'generate', fraction: Math.min(1, produced / (maxNewTokens * columns.length)) });
      checkCancelled(ctx);
    }
    return columns.map((c) => {
      const r = c.decoder.result();
      return { ...r, ...completionOf(c, r.ids), style: c.prompt.style, note: c.prompt.note, truncated: c.prompt.truncated, plan: c.plan, ...(c.engine ? { decodeEngine: c.engine } : {}) };
    });
  } finally {
    // A cancelled or failed run frees its caches (GPU memory) before its runner.
    for (const c of columns) c.decoder.close();
    for (const r of runners) await r.dispose();
    for (const e of engines) await releaseBatch1Decoder(e);
    // The job's end: the WGSL device, opened once for all the columns, closes after every decoder is freed.
    if (engines.length) await closeWgslDevice();
  }
}

/** One model's continuation of a text prompt (generateSideBySide with one column). */
export async function generate(params: GenerateTextParams & { model: string | ModelSource }, ctx: JobContext = quietContext()): Promise<GenerateTextResult> {
  return (await generateSideBySide([params.model], params, ctx))[0];
}
