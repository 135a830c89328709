// One forward pass of the whole model over new positions with the KV cache — the step that generation
// (generate.ts) and the speed bench (eval/speed.ts) share. Activations pass between layers as tensors, so
// on a GPU EP in decoding mode (runner option `decoding`) nothing but the last position of each row comes
// back to the host: weights, activations and the cache stay on the device between steps.
import type ort from 'onnxruntime-node';
import { headVocab, type EmbeddingWeights, type HeadWeights, type LayerWeights } from '../model/weights';
import { releaseTensor } from './device';
import { emptyCache, type KvCache } from './block-feeds';
import { releaseCache, type OrtRunner } from './runner';
import type { ModelSource } from '../model/model-source';
import type { ExecutionProvider } from './contract';
import { inferenceFailure } from './device-failure';
import { planInference, type InferDtype, type InferencePlan } from './inference-plan';
import { argmaxRows } from './sampling';

export interface DecodeWeights {
  emb: EmbeddingWeights;
  layers: LayerWeights[];
  head: HeadWeights;
}

/** A cache per layer, empty until the prompt pass fills it. */
export class LayerCaches {
  #caches: KvCache[];

  constructor(layers: number) {
    this.#caches = Array.from({ length: layers }, emptyCache);
  }

  get(l: number): KvCache {
    return this.#caches[l];
  }

  set(l: number, c: KvCache): void {
    this.#caches[l] = c;
  }

  /** Frees every layer's cache (device buffers at once); the caches start empty again. */
  release(): void {
    for (const c of this.#caches) releaseCache(c);
    this.#caches = this.#caches.map(emptyCache);
  }
}

/** One layer's step: its new cache goes into `caches` at once (the old one is freed), its output is returned. */
async function layerStep(r: OrtRunner, w: LayerWeights, x: ort.Tensor, batch: number, seq: number, caches: LayerCaches, l: number): Promise<ort.Tensor> {
  if (w.kind === 'parallel') {
    const p = await r.parallelStep(w.block, x, batch, seq, caches.get(l));
    caches.set(l, p.cache);
    return p.y;
  }
  const a = await r.attentionStep(w.attn, x, batch, seq, caches.get(l));
  caches.set(l, a.cache);
  try {
    return await r.mlpTensor(w.mlp, a.y, batch, seq);
  } finally {
    releaseTensor(a.y);
  }
}

/** The head's input: each row's last hidden state, on the host ([batch, width]) or left on the device ([batch, 1, width]). */
export type LastRows = Float32Array | ort.Tensor;

/**
 * `ids` ([batch, seq], positions at … at+seq−1) through every layer, extending `caches`; returns the final
 * hidden state of each row's last position (the head's input; headLogits frees it when on the device).
 */
export async function forwardCached(r: OrtRunner, w: DecodeWeights, ids: Int32Array, batch: number, seq: number, at: number, caches: LayerCaches): Promise<LastRows> {
  let x: ort.Tensor | null = null;
  try {
    x = await r.embedTensor(w.emb, ids, batch, seq, at);
    for (let l = 0; l < w.layers.length; l++) {
      const y = await layerStep(r, w.layers[l], x, batch, seq, caches, l);
      releaseTensor(x);
      x = y;
    }
    const last = await r.lastRowsForHead(x, headVocab(w.head));
    releaseTensor(x);
    return last;
  } catch (e) {
    // A failed shape (a device limit, say) frees the activations it holds now, not at GC (device.ts releaseTensor).
    if (x) releaseTensor(x);
    // Out of memory or a lost GPU mid-run: one line (with the CPU fallback on a GPU EP), not ORT's trace.
    throw inferenceFailure(r.ep, e, batch, seq);
  }
}

/** Logits [batch, vocab] of the rows' last positions. */
export async function headLogits(r: OrtRunner, head: HeadWeights, last: LastRows, batch: number): Promise<Float32Array> {
  try {
    return (await r.head(head, last, batch, 1, { logits: true })).logits!;
  } catch (e) {
    throw inferenceFailure(r.ep, e, batch, 1);
  } finally {
    if (!(last instanceof Float32Array)) releaseTensor(last);
  }
}

/** Hooks between the phases of greedyDecode: a clock, a transfer count, a cancel check. */
export interface GreedyHooks {
  /** After the prompt pass (its ids on the host, so the device's work is done). */
  afterPrompt?: () => void;
  /** Before one-token step `i` (0-based). */
  beforeStep?: (i: number) => void;
}

/**
 * Greedy decoding of `batch` prompts of equal length ([batch, P]) with the KV-cache graphs: the prompt pass,
 * then `steps` one-token steps. Returns the ids chosen after the prompt and after each step ([1 + steps][batch]).
 */
export async function greedyDecode(r: OrtRunner, w: DecodeWeights, prompt: Int32Array, batch: number, steps: number, hooks: GreedyHooks = {}): Promise<Int32Array[]> {
  const P = prompt.length / batch;
  const caches = new LayerCaches(w.layers.length);
  try {
    let next = argmaxRows(await headLogits(r, w.head, await forwardCached(r, w, prompt, batch, P, 0, caches), batch), batch);
    hooks.afterPrompt?.();
    const ids = [next];
    for (let i = 0; i < steps; i++) {
      hooks.beforeStep?.(i);
      next = argmaxRows(await headLogits(r, w.head, await forwardCached(r, w, next, batch, 1, P + i, caches), batch), batch);
      ids.push(next);
    }
    return ids;
  } finally {
    caches.release();
  }
}

/** Every layer's weights, held for the run: decoding needs them all for every token. */
export async function loadDecodeWeights(src: ModelSource): Promise<DecodeWeights> {
  const w: DecodeWeights = { emb: await src.embedding(), layers: [], head: await src.head() };
  for (let l = 0; l < src.config.numLayers; l++) w.layers.push(await src.layer(l));
  return w;
}

/** Parameters counted from the loaded weights (a slice's true size, not its config's). */
export function weightCount(w: DecodeWeights): number {
  let n = 0;
  const walk = (o: unknown): void => {
    if (o instanceof Float32Array) n += o.length;
    else if (o && typeof o === 'object') for (const v of Object.values(o)) walk(v);
  };
  walk(w);
  return n;
}

export interface PlanRequest {
  ep?: ExecutionProvider;
  dtype?: InferDtype | 'auto';
  vramGb?: number;
}

/** The inference plan for loaded weights and a cache of `cachePositions` (rows × positions). */
export function planDecoding(src: ModelSource, w: DecodeWeights, cachePositions: number, req: PlanRequest): Promise<InferencePlan> {
  const { numLayers, numKvHeads, headDim } = { numLayers: src.config.numLayers, ...src.arch };
  return planInference({ ep: req.ep ?? 'cpu', parameters: weightCount(w), shape: { numLayers, numKvHeads, headDim }, cachePositions, dtype: req.dtype, vramGb: req.vramGb });
}
