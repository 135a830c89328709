// `verifyGguf(file, { source?, maxWindows? })`: run a GGUF export in the real runtime — llama.cpp through
// node-llama-cpp's prebuilt CPU binaries (nothing is downloaded or compiled) — and report WikiText-2 perplexity
// by the protocol of ../shared/models/README.md and a greedy continuation.
//
// Perplexity: the test rows joined with "\n\n", tokenized by OUR tokenizer of the source folder (the in-app
// ids, so the numbers compare window for window) or, without a source, by llama.cpp's own tokenizer from the
// GGUF metadata; both token counts are reported where both exist. Consecutive windows of `seqLen` tokens from
// position 0, each in a fresh sequence (history cleared); per position llama.cpp returns the target's logit,
// the max logit and Σexp(logit − max), so log p(target) = logit − max − log Σ. ppl = exp(mean over windows
// of the window's mean NLL).
//
// The source folder defaults to the `slice_studio.source` key the exporter writes into the file.
import type { ExecutionProvider } from '../runtime/contract';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { availableParallelism } from 'node:os';
import { checkCancelled, quietContext, type JobContext } from '../base/job-context';
import { FILE_TYPES } from './gguf/mixture';

// general.file_type → our dtype name (a llama.cpp Q4_K_S file reads as q4_k, Q5_K_S as q5_k).
const FILE_TYPE_DTYPES: Record<number, string> = Object.fromEntries(Object.entries(FILE_TYPES).map(([d, t]) => [t, d]));

export interface VerifyGgufOptions {
  /** The folder the GGUF was exported from (our tokenizer; in-app numbers with `compare`). */
  source?: string;
  /** Score only the first n windows. */
  maxWindows?: number;
  seqLen?: number;
  /** Whose token ids to score (default: ours when a source folder is known). */
  tokenizer?: 'ours' | 'llama.cpp';
  prompt?: string;
  maxNewTokens?: number;
  /** Also compute the in-app perplexity (same windows) and greedy continuation from the source folder. */
  compare?: boolean;
  /** Where the in-app numbers run (default cpu). */
  ep?: ExecutionProvider;
  /** CPU threads for llama.cpp (default: half the logical cores; ggml's threads spin, so oversubscribing a busy machine costs 10×). */
  threads?: number;
}

export interface GreedyResult {
  prompt: string;
  /** Prompt and continuation decoded together (our tokenizer where there is a source, else llama.cpp's). */
  text: string;
  /** The new token ids. */
  ids: number[];
}

export interface VerifyGgufResult {
  perplexity: number;
  meanNll: number;
  windows: number;
  /** Tokens scored (windows × seqLen). */
  tokens: number;
  seqLen: number;
  tokenizer: 'ours' | 'llama.cpp';
  /** Length of the whole tokenized test corpus by each tokenizer (ours: null without a source). */
  tokenCounts: { ours: number | null; llamaCpp: number };
  greedy: GreedyResult & { llamaCppText: string };
  runtime: string;
  source: string | null;
  seconds: number;
  /** The file's general.file_type as a dtype name (f32, f16, q8_0, q4_0, q4_k, q5_k, q6_k, q4_k_m, q5_k_m), null for other types. */
  dtype: string | null;
  inApp?: { perplexity: number; greedy: GreedyResult };
}

export class VerifyGgufError extends Error {
  override name = 'VerifyGgufError';
}

/** The installed node-llama-cpp's version (from its package.json), 'unknown' where it cannot be read. */
export function nodeLlamaCppVersion(): string {
  try {
    const require = createRequire(import.meta.url);
    let dir = dirname(require.resolve('node-llama-cpp'));
    for (let i = 0; i < 4 && !existsSync(join(dir, 'package.json')); i++) dir = dirname(dir);
    return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).version as string;
  } catch {
    return 'unknown';
  }
}

type Llama = Awaited<ReturnType<(typeof import('node-llama-cpp'))['getLlama']>>;
let llamaInstance: Promise<Llama> | null = null;

/** One CPU llama.cpp per process (loading the backend twice is wasteful and noisy). */
async function cpuLlama(): Promise<Llama> {
  if (!llamaInstance) {
    const nlc = await import('node-llama-cpp');
    llamaInstance = nlc.getLlama({ gpu: false, build: 'never', logLevel: nlc.LlamaLogLevel.error, progressLogs: false });
  }
  return llamaInstance;
}

/**
 * Free llama.cpp's backend. Call it before a worker thread ends: a live backend makes the thread's N-API
 * teardown abort the whole process ("terminate called after throwing an instance of 'Napi::Error'").
 */
export async function releaseLlama(): Promise<void> {
  const l = llamaInstance;
  llamaInstance = null;
  if (l) await (await l).dispose();
}

export async function verifyGguf(file: string, o: VerifyGgufOptions = {}, ctx: JobContext = quietContext()): Promise<VerifyGgufResult> {
  const started = performance.now();
  if (!existsSync(file)) throw new VerifyGgufError(`GGUF file not found: ${file}`);
  const seqLen = o.seqLen ?? 256;
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new VerifyGgufError(`sequence length must be an integer ≥ 2, got ${seqLen}`);
  ctx.progress({ phase: 'load', fraction: 0, message: `loading ${file} in llama.cpp` });
  const llama = await cpuLlama();
  const threads = o.threads ?? Math.max(1, Math.floor(availableParallelism() / 2));
  let model;
  try {
    model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  } catch (e) {
    throw new VerifyGgufError(`llama.cpp could not load ${file}: ${(e as Error).message}`);
  }
  try {
    const meta = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown>>;
    const recorded = meta.slice_studio?.source;
    const source = o.source ?? (typeof recorded === 'string' && existsSync(recorded) ? recorded : null);
    if (o.source && !existsSync(o.source)) throw new VerifyGgufError(`source folder not found: ${o.source}`);
    const which = o.tokenizer ?? (source ? 'ours' : 'llama.cpp');
    if (which === 'ours' && !source) throw new VerifyGgufError('scoring with our tokenizer needs the source model folder (--source)');

    // The corpus, tokenized both ways.
    ctx.progress({ phase: 'tokenize', fraction: 0 });
    const { wikitext2 } = await import('../data/wikitext2');
    const rows = (await wikitext2('test')).rows;
    const text = rows.join('\n\n');
    const addBos = meta.tokenizer?.ggml && (meta.tokenizer.ggml as Record<string, unknown>).add_bos_token === true;
    const bos = model.tokens.bos;
    const llamaIds = [...(addBos && bos !== null ? [bos as number] : []), ...model.tokenize(text, false).map(Number)];
    const tok = source ? await (await import('../model/tokenizer')).loadTokenizer(source) : null;
    const ourIds = tok ? tok.encodeCorpus(rows, '\n\n') : null;
    const ids = which === 'ours' ? ourIds! : llamaIds;
    checkCancelled(ctx);

    // Perplexity, one fresh sequence per window.
    const total = Math.floor(ids.length / seqLen);
    const windows = Math.min(total, o.maxWindows ?? Infinity);
    if (windows < 1) throw new VerifyGgufError(`the corpus has ${ids.length} tokens, fewer than one window of ${seqLen}`);
    const context = await model.createContext({ contextSize: seqLen, batchSize: seqLen, sequences: 1, flashAttention: false, threads });
    let sum = 0;
    try {
      const seq = context.getSequence();
      for (let w = 0; w < windows; w++) {
        checkCancelled(ctx);
        ctx.progress({ phase: 'ppl', fraction: w / windows });
        const win = ids.slice(w * seqLen, (w + 1) * seqLen);
        await seq.clearHistory();
        const input = win.map((t, i) => (i < seqLen - 1 ? ([t, { generateNext: { logits: { filter: { tokens: [win[i + 1]], includeTop: 1 } }, totalLogitWeight: true } }] as const) : t));
        const out = await seq.controlledEvaluate(input as Parameters<typeof seq.controlledEvaluate>[0]);
        let s = 0;
        for (let i = 0; i < seqLen - 1; i++) {
          const next = out[i]?.next;
          if (!next?.logits || next.totalLogitWeight === undefined) throw new VerifyGgufError(`llama.cpp returned no logits at window ${w}, position ${i}`);
          const max = Math.max(...next.logits.values()); // the target's and the top logit
          const target = next.logits.get(win[i + 1] as never);
          if (target === undefined) throw new VerifyGgufError(`llama.cpp returned no logit for token ${win[i + 1]}`);
          s += -(target - max - Math.log(next.totalLogitWeight));
        }
        sum += s / (seqLen - 1);
      }
    } finally {
      await context.dispose();
    }
    const meanNll = sum / windows;

    // Greedy continuation.
    const prompt = o.prompt ?? 'Once upon a time';
    const maxNew = o.maxNewTokens ?? 60;
    const promptIds = tok && which === 'ours' ? tok.encode(prompt) : [...(addBos && bos !== null ? [bos as number] : []), ...model.tokenize(prompt, false).map(Number)];
    const gctx = await model.createContext({ contextSize: Math.max(256, promptIds.length + maxNew + 8), sequences: 1, flashAttention: false, threads });
    const newIds: number[] = [];
    try {
      const seq = gctx.getSequence();
      const eos = model.tokens.eos;
      let input: Parameters<typeof seq.controlledEvaluate>[0] = promptIds.map((t, i) => (i < promptIds.length - 1 ? t : [t, { generateNext: { logits: { filter: { tokens: [], includeTop: 1 } } } }])) as never;
      while (newIds.length < maxNew) {
        checkCancelled(ctx);
        const out = await seq.controlledEvaluate(input);
        const next = out[out.length - 1]?.next;
        if (!next?.logits) throw new VerifyGgufError('llama.cpp returned no logits for the next token');
        const id = Number([...next.logits.entries()].reduce((a, b) => (b[1] > a[1] ? b : a))[0]); // argmax
        newIds.push(id);
        if (eos !== null && id === eos) break;
        input = [[id, { generateNext: { logits: { filter: { tokens: [], includeTop: 1 } } } }]] as never;
      }
    } finally {
      await gctx.dispose();
    }
    let llamaCppText = model.detokenize(promptIds as never[], false) + model.detokenize(newIds as never[], false, promptIds as never[]);
    // SentencePiece-style vocabularies spell the first word with its added space prefix.
    if (!prompt.startsWith(' ') && llamaCppText.startsWith(' ')) llamaCppText = llamaCppText.slice(1);
    const greedyText = tok ? tok.decode([...promptIds, ...newIds], { skipSpecialTokens: true }) : llamaCppText;

    const result: VerifyGgufResult = {
      perplexity: Math.exp(meanNll),
      meanNll,
      windows,
      tokens: windows * seqLen,
      seqLen,
      tokenizer: which,
      tokenCounts: { ours: ourIds ? ourIds.length : null, llamaCpp: llamaIds.length },
      greedy: { prompt, text: greedyText, ids: newIds, llamaCppText },
      runtime: `llama.cpp (node-llama-cpp ${nodeLlamaCppVersion()})`,
      source,
      seconds: (performance.now() - started) / 1000,
      dtype: FILE_TYPE_DTYPES[Number(meta.general?.file_type)] ?? null,
    };

    if (o.compare && source) {
      ctx.progress({ phase: 'in-app', fraction: 0 });
      const { openAnyModel } = await import('../slicegpt/open');
      const { perplexityWithRunner } = await import('../runtime/perplexity');
      const { generateWithRunner } = await import('../runtime/generate');
      const src = await openAnyModel(source);
      const app = await perplexityWithRunner(src, ids.slice(0, windows * seqLen), { seqLen, ...(o.ep ? { ep: o.ep } : {}) });
      const g = await generateWithRunner(src, promptIds, { maxNewTokens: maxNew, ...(o.ep ? { ep: o.ep } : {}) });
      result.inApp = { perplexity: app.ppl, greedy: { prompt, text: tok!.decode([...promptIds, ...g.ids], { skipSpecialTokens: true }), ids: g.ids } };
    }
    ctx.progress({ phase: 'done', fraction: 1 });
    return result;
  } finally {
    await model.dispose();
  }
}
