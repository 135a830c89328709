// Perplexity, by the protocol of the SliceGPT reference implementation (shared/models/README.md):
// consecutive non-overlapping windows of `seqLen` tokens (remainder dropped), each scored alone from
// position 0; ppl = exp(mean over windows of the window's mean next-token NLL).
import { checkCancelled, quietContext, type JobContext } from '../base/job-context';
import type { BlockRunner, ExecutionProvider } from './contract';
import type { ModelSource } from '../model/model-source';
import { forward, nextTokenTargets } from './forward';
import { withBlockRunner } from './runner';
import { passRunnerOptions, planPasses, type InferDtype, type InferencePlan } from './inference-plan';
import { pplStderrOf } from './ppl-protocol';

export interface PerplexityOptions {
  seqLen?: number;
  /** Windows per block run (default 8). */
  batch?: number;
  /** Score only the first n windows (quick checks). */
  maxWindows?: number;
  maxActivationBytes?: number;
  /** Element type on a GPU EP (default float32: perplexity measures accuracy). */
  dtype?: InferDtype | 'auto';
  /** VRAM budget in GB for the placement choice (default: the first GPU's, less 10 %). */
  vramGb?: number;
}

export interface PerplexityResult {
  ppl: number;
  /** Mean over windows of the mean NLL (nats). */
  meanNll: number;
  /** Standard error of ppl from the per-window NLLs (delta method; NaN for one window). */
  pplStderr: number;
  windows: number;
  /** Windows the whole corpus has at this length (the first `windows` were scored). */
  corpusWindows: number;
  seqLen: number;
  /** Tokens pushed through the model (windows × seqLen). */
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
  /** Where the weights lived (set by perplexityWithRunner, which chooses). */
  plan?: InferencePlan;
}

export class PerplexityError extends Error {
  override name = 'PerplexityError';
}

/** Split ids into the protocol's windows. */
export function windowsOf(ids: ArrayLike<number>, seqLen: number, maxWindows = Infinity): Int32Array[] {
  const n = Math.min(Math.floor(ids.length / seqLen), maxWindows);
  const all = Int32Array.from(ids as ArrayLike<number>);
  return Array.from({ length: n }, (_, w) => all.subarray(w * seqLen, (w + 1) * seqLen));
}

/** Perplexity of an already tokenized corpus. */
export async function perplexityOfIds(src: ModelSource, runner: BlockRunner, ids: ArrayLike<number>, opts: PerplexityOptions = {}, ctx: JobContext = quietContext()): Promise<PerplexityResult> {
  const seqLen = opts.seqLen ?? 256;
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new PerplexityError(`sequence length must be an integer ≥ 2, got ${seqLen}`);
  const windows = windowsOf(ids, seqLen, opts.maxWindows);
  if (windows.length === 0) throw new PerplexityError(`the corpus has ${ids.length} tokens, fewer than one window of ${seqLen}`);
  checkCancelled(ctx);
  const t0 = performance.now();
  const out = await forward(src, runner, windows, {
    batch: opts.batch,
    maxActivationBytes: opts.maxActivationBytes,
    targets: windows.map(nextTokenTargets),
    ctx,
    phase: 'ppl',
  });
  let sum = 0;
  const windowNll = new Float64Array(windows.length);
  for (let w = 0; w < windows.length; w++) {
    let s = 0;
    for (let i = 0; i < seqLen - 1; i++) s += out.nll![w * seqLen + i];
    windowNll[w] = s / (seqLen - 1);
    sum += windowNll[w];
  }
  const meanNll = sum / windows.length;
  const seconds = (performance.now() - t0) / 1000;
  const tokens = windows.length * seqLen;
  const ppl = Math.exp(meanNll);
  return { ppl, meanNll, pplStderr: pplStderrOf(windowNll, ppl), windows: windows.length, corpusWindows: Math.floor(ids.length / seqLen), seqLen, tokens, seconds, tokensPerSecond: tokens / seconds };
}

/** Perplexity of a model source over token ids, owning its runner. */
export async function perplexityWithRunner(src: ModelSource, ids: ArrayLike<number>, opts: PerplexityOptions & { ep?: ExecutionProvider } = {}, ctx: JobContext = quietContext()): Promise<PerplexityResult> {
  const ep = opts.ep ?? 'cpu';
  const plan = await planPasses(src.config, { ep, dtype: opts.dtype, vramGb: opts.vramGb });
  return withBlockRunner(src.arch, passRunnerOptions(ep, plan), async (runner) => ({ ...(await perplexityOfIds(src, runner, ids, opts, ctx)), plan }));
}

/**
 * Dense WikiText-2 test perplexity of a model folder (or source), by the protocol above: rows joined
 * with "\n\n", encoded by the model folder's tokenizer with its default special tokens. `rows` or
 * `ids` replace the corpus (ids win).
 */
export async function perplexity(params: PerplexityOptions & { model: string | ModelSource; ep?: ExecutionProvider; rows?: string[]; ids?: ArrayLike<number> }, ctx: JobContext = quietContext()): Promise<PerplexityResult> {
  const { openModel } = await import('../model/source');
  const src = typeof params.model === 'string' ? await openModel(params.model) : params.model;
  let ids = params.ids;
  if (!ids) {
    ctx.progress({ phase: 'tokenize', fraction: 0 });
    const { loadTokenizer } = await import('../model/tokenizer');
    const rows = params.rows ?? (await (await import('../data/wikitext2')).wikitext2('test')).rows;
    ids = (await loadTokenizer(src.folder)).encodeCorpus(rows, '\n\n');
    checkCancelled(ctx);
  }
  return perplexityWithRunner(src, ids, params, ctx);
}
