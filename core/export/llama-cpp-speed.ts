// `measureLlamaCppSpeed(file, o)`: the speed bench's batch-1 numbers (core/eval/speed.ts) for a GGUF file in llama.cpp
// through node-llama-cpp's prebuilt binaries (nothing is downloaded or compiled), on the CPU or a GPU backend with
// every layer offloaded — so a dense model and its slice compare in llama.cpp as they do in the app (#14).
//
// Protocol, as measureShapes: a fixed synthetic prompt ((i·7919 + 17) mod V: content does not change the work);
// one warm-up per shape, then `repeats` timed runs, the lower median reported (of two, the faster), every run
// kept. Prefill: `promptTokens` tokens at batch 1 in one llama_decode batch, timed until the next token is
// sampled (the result on the host, so the device has finished; node-llama-cpp sets n_ubatch = n_batch, so a
// 2048-token prompt is one ubatch). Decode: a `decodePrompt`-token prompt whose pass
// yields the first token (the clock starts after it), then `newTokens` one-token steps, each feeding the previous
// greedy token back — our own tokens through the context sequence's controlledEvaluate, never a chat session, so
// an EOS does not end the run: exactly `newTokens` tokens are decoded. Each run starts from a cleared sequence.
import { userMessage } from '../base/user-error';
import { nodeLlamaCppVersion } from './verify-gguf';

export type LlamaCppBackend = 'cpu' | 'vulkan' | 'cuda';
export const LLAMA_CPP_BACKENDS: readonly LlamaCppBackend[] = ['cpu', 'vulkan', 'cuda'];

export interface LlamaCppSpeedOptions {
  backend: LlamaCppBackend;
  promptTokens: number;
  decodePrompt: number;
  newTokens: number;
  repeats: number;
  /** CPU threads (default: node-llama-cpp's choice). */
  threads?: number;
  /** llama.cpp's flash attention (default false, node-llama-cpp's own default). */
  flashAttention?: boolean;
}

export interface LlamaCppSpeed {
  file: string;
  backend: LlamaCppBackend;
  /** What node-llama-cpp loaded: its GPU type (false on the CPU), device names, binary, llama.cpp release. */
  runtime: { gpu: string | false; devices: string[]; buildType: string; llamaCpp: string; nodeLlamaCpp: string };
  gpuLayers: number;
  layers: number;
  /** <arch>.embedding_length: the residual width in the file. */
  width: number;
  loadSeconds: number;
  firstRunSeconds: number;
  context: { contextSize: number; batchSize: number; flashAttention: boolean };
  prefill: { batch: 1; promptTokens: number; seconds: number; tokensPerSecond: number; runs: number[] };
  decode: { batch: 1; promptTokens: number; steps: number; seconds: number; msPerToken: number; tokensPerSecond: number; runs: number[]; ids: number[] };
}

export class LlamaCppSpeedError extends Error {
  override name = 'LlamaCppSpeedError';
}

type Nlc = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<Nlc['getLlama']>>;
type Sequence = ReturnType<Awaited<ReturnType<Awaited<ReturnType<Llama['loadModel']>>['createContext']>>['getSequence']>;
type Input = Parameters<Sequence['controlledEvaluate']>[0];

const now = () => performance.now() / 1000;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const prompt = (n: number, vocab: number) => Array.from({ length: n }, (_, i) => (i * 7919 + 17) % vocab);

const llamas = new Map<LlamaCppBackend, Promise<Llama>>();

/** One llama.cpp per backend per process; the prebuilt binary only (a missing one is an error, not a build). */
export function llamaFor(backend: LlamaCppBackend): Promise<Llama> {
  let l = llamas.get(backend);
  if (!l) {
    l = import('node-llama-cpp').then((nlc) => nlc.getLlama({ gpu: backend === 'cpu' ? false : backend, build: 'never', logLevel: nlc.LlamaLogLevel.error, progressLogs: false }));
    llamas.set(backend, l);
    l.catch(() => llamas.delete(backend));
  }
  return l;
}

/** Free every llama.cpp this module loaded (before a worker thread ends, see verify-gguf.ts releaseLlama). */
export async function releaseLlamaCppSpeed(): Promise<void> {
  const all = [...llamas.values()];
  llamas.clear();
  for (const l of all) await (await l.catch(() => null))?.dispose();
}

/** Evaluate `ids` from a cleared sequence and greedily sample the token after the last one. */
async function next(seq: Sequence, ids: number[]): Promise<number> {
  const last = ids.length - 1;
  const input = ids.map((t, i) => (i < last ? t : [t, { generateNext: { token: true, options: { temperature: 0 } } }])) as unknown as Input;
  const out = await seq.controlledEvaluate(input);
  const token = out[last]?.next?.token;
  if (token === undefined || token === null) throw new LlamaCppSpeedError('llama.cpp returned no next token');
  return Number(token);
}

async function prefillRun(seq: Sequence, ids: number[]): Promise<number> {
  await seq.clearHistory();
  const t = now();
  await next(seq, ids);
  return now() - t;
}

async function decodeRun(seq: Sequence, ids: number[], steps: number): Promise<{ seconds: number; ids: number[] }> {
  await seq.clearHistory();
  let token = await next(seq, ids);
  const t = now();
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    token = await next(seq, [token]);
    out.push(token);
  }
  return { seconds: now() - t, ids: out };
}

export async function measureLlamaCppSpeed(file: string, o: LlamaCppSpeedOptions): Promise<LlamaCppSpeed> {
  for (const k of ['promptTokens', 'decodePrompt', 'newTokens', 'repeats'] as const) {
    if (!Number.isInteger(o[k]) || o[k] < 1) throw new LlamaCppSpeedError(`${k} must be a positive integer, got ${o[k]}`);
  }
  if (!LLAMA_CPP_BACKENDS.includes(o.backend)) throw new LlamaCppSpeedError(`backend must be one of ${LLAMA_CPP_BACKENDS.join(', ')}, got ${o.backend}`);
  let llama: Llama;
  try {
    llama = await llamaFor(o.backend);
  } catch (e) {
    throw new LlamaCppSpeedError(`node-llama-cpp has no usable ${o.backend} binary here: ${userMessage(e).message}`);
  }
  // Where the driver offers no device, node-llama-cpp still loads the GPU binary (ggml_vulkan: "No devices found")
  // and would run every layer on the CPU: refuse instead of timing the wrong thing.
  const devices = o.backend === 'cpu' ? [] : await llama.getGpuDeviceNames();
  if (o.backend !== 'cpu' && (llama.gpu !== o.backend || devices.length === 0)) {
    throw new LlamaCppSpeedError(`node-llama-cpp's ${o.backend} backend found no device (loaded: ${llama.gpu || 'cpu'}; for Vulkan, is the driver's ICD in VK_DRIVER_FILES?)`);
  }
  const t0 = now();
  const model = await llama.loadModel({ modelPath: file, gpuLayers: o.backend === 'cpu' ? 0 : 'max' });
  try {
    const meta = model.fileInfo.metadata as unknown as Record<string, Record<string, unknown>>;
    const arch = String(meta.general?.architecture);
    const width = Number(meta[arch]?.embedding_length);
    const layers = Number(meta[arch]?.block_count);
    const vocab = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? Number(meta[arch]?.vocab_size);
    if (!(vocab > 0)) throw new LlamaCppSpeedError(`${file} has no vocabulary size`);
    if (o.backend !== 'cpu' && model.gpuLayers < layers) throw new LlamaCppSpeedError(`only ${model.gpuLayers} of ${layers} layers went to the ${o.backend} device`);
    const flashAttention = o.flashAttention ?? false;
    const contextSize = Math.max(o.promptTokens, o.decodePrompt + o.newTokens + 1);
    const batchSize = Math.max(o.promptTokens, o.decodePrompt);
    const context = await model.createContext({ contextSize, batchSize, sequences: 1, flashAttention, ...(o.threads ? { threads: o.threads } : {}) });
    const loadSeconds = now() - t0;
    try {
      const seq = context.getSequence();
      let t = now();
      await decodeRun(seq, prompt(Math.min(8, o.promptTokens), vocab), Math.min(2, o.newTokens)); // first use: graphs, pipelines
      const firstRunSeconds = now() - t;

      const pIds = prompt(o.promptTokens, vocab);
      await prefillRun(seq, pIds); // warm-up at this shape
      const pRuns: number[] = [];
      for (let i = 0; i < o.repeats; i++) pRuns.push(await prefillRun(seq, pIds));
      const pSec = median(pRuns);

      const dIds = prompt(o.decodePrompt, vocab);
      await decodeRun(seq, dIds, Math.min(4, o.newTokens));
      const dRuns: number[] = [];
      let ids: number[] = [];
      for (let i = 0; i < o.repeats; i++) {
        const r = await decodeRun(seq, dIds, o.newTokens);
        dRuns.push(r.seconds);
        ids = r.ids;
      }
      const dSec = median(dRuns);
      const gpu = llama.gpu;
      return {
        file,
        backend: o.backend,
        runtime: { gpu, devices, buildType: llama.buildType, llamaCpp: llama.llamaCppRelease.release, nodeLlamaCpp: nodeLlamaCppVersion() },
        gpuLayers: model.gpuLayers,
        layers,
        width,
        loadSeconds,
        firstRunSeconds,
        context: { contextSize: context.contextSize, batchSize: context.batchSize, flashAttention },
        prefill: { batch: 1, promptTokens: o.promptTokens, seconds: pSec, tokensPerSecond: o.promptTokens / pSec, runs: pRuns },
        decode: { batch: 1, promptTokens: o.decodePrompt, steps: o.newTokens, seconds: dSec, msPerToken: (dSec / o.newTokens) * 1000, tokensPerSecond: o.newTokens / dSec, runs: dRuns, ids },
      };
    } finally {
      await context.dispose();
    }
  } finally {
    await model.dispose();
  }
}
