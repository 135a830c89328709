// Verify an ONNX export in the real runtime: the folder's model.onnx loaded as a plain onnxruntime-node
// InferenceSession (none of the app's block graphs or runner), fed exactly what onnxruntime-genai or an
// Optimum-style loader feeds it. Reports WikiText-2 perplexity by the benchmark protocol (windows of 256
// tokens, each from position 0 with an empty cache) and a greedy continuation decoded through the KV cache
// (prefill, then one token at a time with present.* fed back as past_key_values.*), next to the app's own
// numbers for the source folder.
import type { ExecutionProvider } from '../runtime/contract';
import ort from 'onnxruntime-node';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkCancelled, quietContext, type JobContext } from '../base/job-context';
import { parseConfig, type ModelConfig } from '../model/config';
import { loadTokenizer, type Tokenizer } from '../model/tokenizer';
import { wikitext2 } from '../data/wikitext2';
import { windowsOf } from '../runtime/perplexity';
import { ExportError } from './errors';
import { readManifest } from './model-files';
import { ONNX_MODEL } from './model-files';
import type { Verdict } from './verdict';

export interface VerifyOptions {
  /** Folder to compute the app's numbers on (default: the source named in the export's manifest). */
  source?: string;
  /** Skip the app's numbers (export only). */
  skipInApp?: boolean;
  /** Score only the first N windows (default: all of WikiText-2 test). */
  maxWindows?: number;
  seqLen?: number;
  prompt?: string;
  /** Greedy tokens to generate (default 30); no early stop at EOS, so both sides make exactly this many. */
  maxNewTokens?: number;
  /** Where the app's numbers run (default cpu): a 7B source on the CPU EP takes minutes a window. */
  ep?: ExecutionProvider;
}

export interface PplNumbers {
  ppl: number;
  windows: number;
  seqLen: number;
  tokens: number;
  seconds: number;
  tokensPerSecond: number;
}

export interface GreedyNumbers {
  ids: number[];
  text: string;
  tokensPerSecond: number;
}

export interface VerifyResult {
  format: 'onnx' | 'gguf';
  path: string;
  runtime: string;
  prompt: string;
  export: { perplexity: PplNumbers; greedy: GreedyNumbers };
  inApp?: { source: string; perplexity: PplNumbers; greedy: GreedyNumbers };
  comparison?: {
    /** |export − app| / app */
    pplRelativeDifference: number;
    greedyIdentical: boolean;
    /** Index of the first differing generated token, −1 when identical. */
    firstDifference: number;
  };
  /** How the export stores its weights (f32, f16, q8_0, q4_0), where it records it. */
  dtype?: string | null;
  /** Pass or fail against the tolerance for that dtype (only with a comparison). */
  verdict?: Verdict;
}

export const DEFAULT_PROMPT = 'Once upon a time';

type Feeds = Record<string, ort.Tensor>;

/** A decoder export as loaders see it: config.json for the cache shape, the session, the tokenizer. */
class OnnxDecoder {
  readonly config: ModelConfig;
  readonly session: ort.InferenceSession;
  readonly layers: number;

  private constructor(config: ModelConfig, session: ort.InferenceSession) {
    this.config = config;
    this.session = session;
    this.layers = session.inputNames.filter((n) => /^past_key_values\.\d+\.key$/.test(n)).length;
  }

  static async create(folder: string): Promise<OnnxDecoder> {
    const cfgPath = join(folder, 'config.json');
    if (!existsSync(cfgPath)) throw new ExportError(`${folder} has no config.json beside ${ONNX_MODEL}`);
    const config = parseConfig(JSON.parse(readFileSync(cfgPath, 'utf8')));
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(join(folder, ONNX_MODEL), { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
    } catch (e) {
      throw new ExportError(`onnxruntime cannot load ${join(folder, ONNX_MODEL)}: ${String((e as Error).message).split('\n')[0]}`);
    }
    for (const n of ['input_ids', 'attention_mask', 'position_ids']) if (!session.inputNames.includes(n)) throw new ExportError(`${ONNX_MODEL} has no input ${n}: not a decoder export`);
    return new OnnxDecoder(config, session);
  }

  /** One call: `ids` [batch, seq] at positions past … past+seq−1 of every row, with the given cache. */
  async run(ids: Int32Array, batch: number, seq: number, past: ort.Tensor[] | null, fetchPresent: boolean): Promise<ort.InferenceSession.OnnxValueMapType> {
    const P = past ? past[0].dims[2] : 0;
    const T = P + seq;
    const f: Feeds = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (v) => BigInt(v)),
        [batch, seq],
      ),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * T).fill(1n), [batch, T]),
      position_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(P + (i % seq))),
        [batch, seq],
      ),
    };
    const { numKvHeads: H, headDim: d } = this.config;
    for (let i = 0; i < this.layers; i++) {
      f[`past_key_values.${i}.key`] = past ? past[2 * i] : new ort.Tensor('float32', new Float32Array(0), [batch, H, 0, d]);
      f[`past_key_values.${i}.value`] = past ? past[2 * i + 1] : new ort.Tensor('float32', new Float32Array(0), [batch, H, 0, d]);
    }
    return fetchPresent ? this.session.run(f) : this.session.run(f, ['logits']);
  }

  presents(r: ort.InferenceSession.OnnxValueMapType): ort.Tensor[] {
    const out: ort.Tensor[] = [];
    for (let i = 0; i < this.layers; i++) out.push(r[`present.${i}.key`], r[`present.${i}.value`]);
    return out;
  }
}

function argmax(row: Float32Array): number {
  let b = 0;
  for (let j = 1; j < row.length; j++) if (row[j] > row[b]) b = j;
  return b;
}

/** Protocol perplexity through the plain session: each window alone, empty cache. */
async function onnxPerplexity(ctx: JobContext, dec: OnnxDecoder, windows: Int32Array[], seqLen: number): Promise<PplNumbers> {
  const V = dec.config.vocabSize;
  // Bound the logits one call returns (batch × seq × vocab floats) to 64 Mi floats.
  const batch = Math.max(1, Math.min(8, Math.floor(2 ** 26 / (seqLen * V))));
  const t0 = performance.now();
  let sum = 0;
  for (let w0 = 0; w0 < windows.length; w0 += batch) {
    checkCancelled(ctx);
    const b = Math.min(batch, windows.length - w0);
    const ids = new Int32Array(b * seqLen);
    for (let r = 0; r < b; r++) ids.set(windows[w0 + r], r * seqLen);
    const logits = (await dec.run(ids, b, seqLen, null, false)).logits.data as Float32Array;
    for (let r = 0; r < b; r++) {
      let s = 0;
      for (let i = 0; i < seqLen - 1; i++) {
        const row = logits.subarray((r * seqLen + i) * V, (r * seqLen + i + 1) * V);
        let m = -Infinity;
        for (let j = 0; j < V; j++) if (row[j] > m) m = row[j];
        let e = 0;
        for (let j = 0; j < V; j++) e += Math.exp(row[j] - m);
        s += Math.log(e) + m - row[ids[r * seqLen + i + 1]];
      }
      sum += s / (seqLen - 1);
    }
    ctx.progress({ phase: 'ppl (export)', fraction: (w0 + b) / windows.length });
  }
  const seconds = (performance.now() - t0) / 1000;
  const tokens = windows.length * seqLen;
  return { ppl: Math.exp(sum / windows.length), windows: windows.length, seqLen, tokens, seconds, tokensPerSecond: tokens / seconds };
}

/** Greedy decoding through the KV cache: prefill the prompt, then one token per call. */
async function onnxGreedy(ctx: JobContext, dec: OnnxDecoder, tok: Tokenizer, prompt: number[], n: number): Promise<GreedyNumbers> {
  const V = dec.config.vocabSize;
  const t0 = performance.now();
  let r = await dec.run(Int32Array.from(prompt), 1, prompt.length, null, true);
  const ids: number[] = [];
  let next = argmax((r.logits.data as Float32Array).subarray((prompt.length - 1) * V, prompt.length * V));
  while (true) {
    ids.push(next);
    if (ids.length >= n) break;
    checkCancelled(ctx);
    r = await dec.run(Int32Array.of(next), 1, 1, dec.presents(r), true);
    next = argmax(r.logits.data as Float32Array);
  }
  const seconds = (performance.now() - t0) / 1000;
  return { ids, text: tok.decode([...prompt, ...ids], { skipSpecialTokens: true }), tokensPerSecond: ids.length / seconds };
}

/** The corpus ids of the protocol: WikiText-2 test rows joined with "\n\n", only as many as needed. */
export async function protocolIds(tok: Tokenizer, seqLen: number, maxWindows?: number): Promise<number[]> {
  const rows = (await wikitext2('test')).rows;
  return tok.encodeCorpus(rows, '\n\n', maxWindows ? { maxTokens: maxWindows * seqLen } : {});
}

/** The app's own numbers for a model folder (dense or sliced), on the same ids and prompt. */
export async function inAppNumbers(
  ctx: JobContext,
  source: string,
  ids: number[],
  o: { seqLen: number; maxWindows?: number; prompt: number[]; maxNewTokens: number; ep?: ExecutionProvider },
): Promise<{ perplexity: PplNumbers; greedy: GreedyNumbers }> {
  const { openAnyModel } = await import('../slicegpt/open');
  const { perplexity } = await import('../runtime/perplexity');
  const { generateWithRunner } = await import('../runtime/generate');
  if (!existsSync(join(source, 'config.json'))) throw new ExportError(`--source ${source} is not a model folder (no config.json)`);
  const src = await openAnyModel(source);
  const p = await perplexity({ model: src, ids, seqLen: o.seqLen, maxWindows: o.maxWindows, ...(o.ep ? { ep: o.ep } : {}) }, ctx);
  const g = await generateWithRunner(src, o.prompt, { maxNewTokens: o.maxNewTokens, stopIds: [], ...(o.ep ? { ep: o.ep } : {}) }, ctx);
  const tok = await loadTokenizer(source);
  return {
    perplexity: { ppl: p.ppl, windows: p.windows, seqLen: p.seqLen, tokens: p.tokens, seconds: p.seconds, tokensPerSecond: p.tokensPerSecond },
    greedy: { ids: g.ids, text: tok.decode([...o.prompt, ...g.ids], { skipSpecialTokens: true }), tokensPerSecond: g.tokensPerSecond },
  };
}

export function compare(exp: { perplexity: PplNumbers; greedy: GreedyNumbers }, app: { perplexity: PplNumbers; greedy: GreedyNumbers }): NonNullable<VerifyResult['comparison']> {
  const a = exp.greedy.ids;
  const b = app.greedy.ids;
  let first = -1;
  for (let i = 0; i < Math.max(a.length, b.length); i++)
    if (a[i] !== b[i]) {
      first = i;
      break;
    }
  return {
    pplRelativeDifference: Math.abs(exp.perplexity.ppl - app.perplexity.ppl) / app.perplexity.ppl,
    greedyIdentical: first < 0,
    firstDifference: first,
  };
}

export async function verifyOnnx(folder: string, o: VerifyOptions = {}, ctx: JobContext = quietContext()): Promise<VerifyResult> {
  const dir = resolve(folder);
  if (!existsSync(join(dir, ONNX_MODEL))) throw new ExportError(`${folder} has no ${ONNX_MODEL}`);
  const seqLen = o.seqLen ?? 256;
  const maxNew = o.maxNewTokens ?? 30;
  if (!(Number.isInteger(maxNew) && maxNew > 0)) throw new ExportError(`--max-new-tokens must be a positive integer, got ${maxNew}`);
  if (o.maxWindows !== undefined && !(Number.isInteger(o.maxWindows) && o.maxWindows > 0)) throw new ExportError(`--max-windows must be a positive integer, got ${o.maxWindows}`);
  const source = o.skipInApp ? undefined : (o.source ?? readManifest(dir)?.source);
  if (source && !existsSync(source)) throw new ExportError(`source folder ${source} does not exist (pass --source)`);

  ctx.progress({ phase: 'load', fraction: 0, message: dir });
  const dec = await OnnxDecoder.create(dir);
  try {
    const tok = await loadTokenizer(dir);
    const promptText = o.prompt ?? DEFAULT_PROMPT;
    const prompt = tok.encode(promptText);
    if (prompt.length === 0) throw new ExportError('the prompt encodes to no tokens');
    if (prompt.length + maxNew > dec.config.maxPositions) throw new ExportError(`prompt + ${maxNew} new tokens exceed the model's ${dec.config.maxPositions} positions`);
    ctx.progress({ phase: 'tokenize', fraction: 0 });
    const ids = await protocolIds(tok, seqLen, o.maxWindows);
    const windows = windowsOf(ids, seqLen, o.maxWindows);
    if (windows.length === 0) throw new ExportError(`the corpus has fewer than ${seqLen} tokens`);
    const exp = { perplexity: await onnxPerplexity(ctx, dec, windows, seqLen), greedy: await onnxGreedy(ctx, dec, tok, prompt, maxNew) };
    const result: VerifyResult = { format: 'onnx', path: dir, runtime: `onnxruntime-node ${ort.env.versions.common}`, prompt: promptText, export: exp };
    if (source) {
      ctx.progress({ phase: 'in-app', fraction: 0, message: source });
      const app = await inAppNumbers(ctx, source, ids, { seqLen, maxWindows: o.maxWindows, prompt, maxNewTokens: maxNew, ep: o.ep });
      result.inApp = { source: resolve(source), ...app };
      result.comparison = compare(exp, app);
    }
    ctx.progress({ phase: 'done', fraction: 1 });
    return result;
  } finally {
    await dec.session.release();
  }
}
