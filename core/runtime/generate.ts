// Greedy decoding with a KV cache. The prompt is prefilled in one pass per layer through the
// cache-enabled attention graphs (past length 0), then each new token runs one position per layer
// against the growing cache. Unlike the layer-major passes, decoding needs every layer for every
// token, so all layer weights are held in memory for the duration.
import { checkCancelled, quietContext, type JobContext } from '../base/job-context';
import type { ExecutionProvider } from './contract';
import type { ModelSource } from '../model/model-source';
import type { LayerWeights } from '../model/weights';
import { createBlockRunner, type KvCache, type OrtRunner } from './runner';

export interface GenerateOptions {
  maxNewTokens?: number;
  /** Stop at these ids (default: the config's eos token). An empty list never stops early. */
  stopIds?: number[];
  /** Called with each new token id as it is produced. */
  onToken?: (id: number) => void;
}

export interface GenerateResult {
  /** The new ids only. */
  ids: number[];
  promptTokens: number;
  /** Seconds for the prompt pass and for the new tokens. */
  prefillSeconds: number;
  decodeSeconds: number;
  tokensPerSecond: number;
}

export class GenerateError extends Error {
  override name = 'GenerateError';
}

function argmax(row: Float32Array): number {
  let b = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[b]) b = j;
  return b;
}

async function step(r: OrtRunner, w: LayerWeights, x: Float32Array, seq: number, cache: KvCache): Promise<{ x: Float32Array; cache: KvCache }> {
  if (w.kind === 'parallel') {
    const o = await r.parallelCached(w.block, x, 1, seq, cache);
    return { x: o.y, cache: o.cache! };
  }
  const a = await r.attentionCached(w.attn, x, 1, seq, cache);
  return { x: await r.mlp(w.mlp, a.y, 1, seq), cache: a.cache! };
}

/** Greedy continuation of `prompt` (token ids) with an existing runner. */
export async function generateIds(
  src: ModelSource,
  runner: OrtRunner,
  prompt: ArrayLike<number>,
  opts: GenerateOptions = {},
  ctx: JobContext = quietContext(),
): Promise<GenerateResult> {
  const maxNew = opts.maxNewTokens ?? 64;
  const P = prompt.length;
  if (P === 0) throw new GenerateError('the prompt is empty (no tokens to start from)');
  const limit = src.config.maxPositions;
  if (P + maxNew > limit) throw new GenerateError(`prompt (${P}) + new tokens (${maxNew}) exceed the model's ${limit} positions`);
  const stop = new Set(opts.stopIds ?? (src.config.eosTokenId !== null ? [src.config.eosTokenId] : []));
  const L = src.config.numLayers;
  const emb = await src.embedding();
  const layers: LayerWeights[] = [];
  for (let l = 0; l < L; l++) layers.push(await src.layer(l));
  const head = await src.head();

  const t0 = performance.now();
  let caches: KvCache[] = layers.map(() => ({ k: new Float32Array(0), v: new Float32Array(0), past: 0 }));
  let x = await runner.embedAt(emb, Int32Array.from(prompt), 1, P, 0);
  for (let l = 0; l < L; l++) ({ x, cache: caches[l] } = await step(runner, layers[l], x, P, caches[l]));
  const width = x.length / P;
  const next = async (last: Float32Array) => argmax((await runner.head(head, last, 1, 1, { logits: true })).logits!);
  let id = await next(x.subarray((P - 1) * width));
  const t1 = performance.now();
  const ids: number[] = [];
  for (let i = 0; ; i++) {
    ids.push(id);
    opts.onToken?.(id);
    ctx.progress({ phase: 'generate', fraction: ids.length / maxNew });
    if (ids.length >= maxNew || stop.has(id)) break;
    checkCancelled(ctx);
    x = await runner.embedAt(emb, Int32Array.of(id), 1, 1, P + i);
    for (let l = 0; l < L; l++) ({ x, cache: caches[l] } = await step(runner, layers[l], x, 1, caches[l]));
    id = await next(x);
  }
  caches = [];
  const t2 = performance.now();
  return {
    ids,
    promptTokens: P,
    prefillSeconds: (t1 - t0) / 1000,
    decodeSeconds: (t2 - t1) / 1000,
    tokensPerSecond: ids.length / ((t2 - t1) / 1000 || 1e-9),
  };
}

/** Greedy continuation, owning its runner. */
export async function generateWithRunner(
  src: ModelSource,
  prompt: ArrayLike<number>,
  opts: GenerateOptions & { ep?: ExecutionProvider } = {},
  ctx: JobContext = quietContext(),
): Promise<GenerateResult> {
  const runner = await createBlockRunner(src.arch, { ep: opts.ep });
  try {
    return await generateIds(src, runner, prompt, opts, ctx);
  } finally {
    await runner.dispose();
  }
}

export interface GenerateTextResult extends GenerateResult {
  /** Prompt and continuation, decoded together (special tokens skipped). */
  text: string;
  /** The continuation alone. */
  completion: string;
}

/**
 * Greedy generation from text: the model folder's tokenizer encodes the prompt with its default
 * special tokens (LLaMA's <s>), the whole sequence is decoded at the end.
 */
export async function generate(
  params: { model: string | ModelSource; prompt: string; maxNewTokens?: number; ep?: ExecutionProvider; stopIds?: number[]; onToken?: (id: number) => void },
  ctx: JobContext = quietContext(),
): Promise<GenerateTextResult> {
  const { loadTokenizer } = await import('../model/tokenizer');
  const { openModel } = await import('../model/source');
  const src = typeof params.model === 'string' ? await openModel(params.model) : params.model;
  const tok = await loadTokenizer(src.folder);
  const prompt = tok.encode(params.prompt);
  const r = await generateWithRunner(src, prompt, { maxNewTokens: params.maxNewTokens, ep: params.ep, stopIds: params.stopIds, onToken: params.onToken }, ctx);
  const text = tok.decode([...prompt, ...r.ids], { skipSpecialTokens: true });
  const head = tok.decode(prompt, { skipSpecialTokens: true });
  return { ...r, text, completion: text.startsWith(head) ? text.slice(head.length) : tok.decode(r.ids, { skipSpecialTokens: true }) };
}
