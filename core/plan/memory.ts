// Bytes a model needs to run (weights, KV cache, activations, runtime) and how they split over GPUs,
// plus the RAM the slicing job itself needs. Every constant here is an estimate with its reason; the
// planner reports them in its explanation so a user can see what was assumed.
import type { ModelConfig } from '../model/config';
import { tensorBytes, DTYPE_LAYOUT, useMoreBits, type Dtype, type WeightFormat } from './formats';
import { type ModelShapes, type TensorShape, type TensorRole, denseShapes, shapeParams, perDistinct } from './params';
import { type PlanHardware, GiB, MiB } from './hardware';
import { ggufTensors, type GgufPlannedTensor } from './gguf-tensors';
import type { GgufFileType } from './gguf-types';

/**
 * What a GPU runtime takes before any weight: the CUDA (or Vulkan) context, cuBLAS/kernel workspaces and
 * the allocator's slack. llama.cpp and onnxruntime report 300–500 MiB on current drivers; we take 512 MiB.
 */
export const GPU_RUNTIME_BYTES = 512 * MiB;
/** The inference process on CPU (runtime library, buffers, tokenizer) outside weights and cache. */
export const CPU_RUNTIME_BYTES = 256 * MiB;
/** Prompts are processed in chunks of this many tokens (llama.cpp's default micro-batch). */
export const PROMPT_CHUNK = 512;

export interface WeightBytes {
  /** Embedding and (OPT) position table. */
  embedding: number;
  /** Per layer: block weights (norms and biases included), without shortcuts. */
  layers: number[];
  /** Per layer: the shortcut matrices. */
  shortcuts: number[];
  /** Final norm, head and its bias. */
  head: number;
  /** A tied head's matrix: free where the embedding lives, a copy on any other device. */
  tiedHeadCopy: number;
  total: number;
  /** The types the embedding and head matrices are stored in: a GGUF file's token_embd and output.weight as the
   * exporter writes them (llama.cpp's rules and row fallbacks, gguf-types.ts), else the format's; `shared`: the file
   * has no output.weight, the head is token_embd itself. */
  types: OuterTypes;
}

export interface OuterTypes {
  embedding: StoredType;
  head: StoredType | 'shared';
}

/** A type as stored, beside the format's nominal type for the role. */
export interface StoredType {
  type: Dtype;
  nominal: Dtype;
  /** Why type ≠ nominal: `tied-head` — token_embd is also the head, so llama.cpp types it by the output rule;
   * `rows` — its rows (of `ne0` weights) do not fill the nominal type's blocks. */
  why: 'tied-head' | 'rows' | null;
  ne0: number;
}

const dtypeFor = (f: WeightFormat, role: TensorRole): Dtype => (role === 'linear' ? f.linear : role === 'shortcut' ? f.shortcut : role === 'head' ? f.head : role === 'vector' ? f.vector : f.embedding);

/** Layer `at.i` of `at.n`, where a mixture's type depends on it. */
const dtypeIn = (f: WeightFormat, s: TensorShape, at?: { i: number; n: number }): Dtype => (f.moreBits && at && f.moreBits.tensors.includes(s.name) && useMoreBits(at.i, at.n) ? f.moreBits.dtype : dtypeFor(f, s.role));

const bytesOf = (ts: TensorShape[], f: WeightFormat, only?: (r: TensorRole) => boolean, at?: { i: number; n: number }): number =>
  ts.reduce((a, s) => a + (only === undefined || only(s.role) ? tensorBytes(s.rows, s.rowLength, dtypeIn(f, s, at)) : 0), 0);

/** The GGUF block formats (a planner format that is also an export --dtype: sized as the exporter writes it). */
const GGUF_FILE: Partial<Record<WeightFormat['id'], GgufFileType>> = { q8_0: 'q8_0', q4_0: 'q4_0', q4_k: 'q4_k', q5_k: 'q5_k', q6_k: 'q6_k', q4_k_m: 'q4_k_m', q5_k_m: 'q5_k_m' };

export function weightBytes(m: ModelShapes, f: WeightFormat): WeightBytes {
  const file = GGUF_FILE[f.id];
  const gguf = file === undefined ? null : ggufTensors(m, file);
  if (gguf) {
    // The file's own tensors and types (gguf-tensors.ts); a per-layer slice (no GGUF layout) is sized by role below.
    const sum = (keep: (t: GgufPlannedTensor) => boolean) => gguf.reduce((a, t) => a + (keep(t) ? t.bytes : 0), 0);
    const layers = m.layers.map(() => 0);
    for (const t of gguf) if (t.layer !== null) layers[t.layer] += t.bytes;
    const embedding = sum((t) => t.part === 'embedding');
    const head = sum((t) => t.part === 'head');
    // A tied head is token_embd itself: llama.cpp reads that one tensor for both (a copy on another device).
    const tiedHeadCopy = m.gguf!.tiedOutput ? sum((t) => t.name === 'token_embd.weight') : 0;
    const shortcuts = m.layers.map(() => 0);
    const token = gguf.find((t) => t.name === 'token_embd.weight')!;
    const output = gguf.find((t) => t.name === 'output.weight');
    const types: OuterTypes = { embedding: stored(token, f.embedding, m.gguf!.tiedOutput), head: output ? stored(output, f.head, false) : 'shared' };
    return { embedding, layers, shortcuts, head, tiedHeadCopy, total: embedding + layers.reduce((a, b) => a + b, 0) + head, types };
  }
  const embedding = bytesOf(m.embedding, f);
  // A mixture types layers by their index, so identical layer shapes no longer mean identical bytes.
  const layers = f.moreBits ? m.layers.map((l, i) => bytesOf(l, f, (r) => r !== 'shortcut', { i, n: m.layers.length })) : perDistinct(m.layers, (l) => bytesOf(l, f, (r) => r !== 'shortcut'));
  const shortcuts = perDistinct(m.layers, (l) => bytesOf(l, f, (r) => r === 'shortcut'));
  const head = bytesOf(m.head, f);
  const emb = m.embedding[0];
  const tiedHeadCopy = m.tiedHead ? tensorBytes(emb.rows, emb.rowLength, f.head) : 0;
  const total = embedding + layers.reduce((a, b) => a + b, 0) + shortcuts.reduce((a, b) => a + b, 0) + head;
  const nominal = (t: Dtype, s: TensorShape | undefined): StoredType => ({ type: t, nominal: t, why: null, ne0: s?.rowLength ?? 0 });
  const types = {
    embedding: nominal(f.embedding, emb),
    head: nominal(
      f.head,
      m.head.find((s) => s.role === 'head'),
    ),
  };
  return { embedding, layers, shortcuts, head, tiedHeadCopy, total, types };
}

/** A GGUF tensor's type against the format's nominal one for its role. */
const stored = (t: GgufPlannedTensor, nominal: Dtype, tiedHead: boolean): StoredType => ({ type: t.type, nominal, why: t.type === nominal ? null : tiedHead ? 'tied-head' : 'rows', ne0: t.ne0 });

export type KvDtype = 'f16' | 'f32' | 'q8_0';

/** Bytes per cached element: llama.cpp's q8_0 cache stores 34 bytes per 32 values. */
export const kvElementBytes = (t: KvDtype): number => DTYPE_LAYOUT[t].bytes / DTYPE_LAYOUT[t].block;

/**
 * KV cache of one layer: K and V, each kvHeads × headDim per token, for ctx tokens of each sequence.
 * Slicing leaves it alone: the heads (and so k_proj/v_proj's outputs) keep their size.
 */
export const kvBytesPerLayer = (c: ModelConfig, ctx: number, batch: number, t: KvDtype = 'f16'): number => 2 * c.numKvHeads * c.headDim * ctx * batch * kvElementBytes(t);

export interface WorkingSet {
  /** Per device running any layer: one layer's activations for a prompt chunk (layers run one at a time). */
  perDevice: number;
  /** On the device holding the head: the logits of a chunk. */
  logits: number;
  chunk: number;
}

/**
 * Activations, as a runtime's compute buffer holds them for one prompt chunk of `chunk` tokens per
 * sequence, float32: the residual, normed input, attention output and q (4·D), the MLP's hidden
 * activations (2·I: gate and up, or fc1 and its activation), and one layer's attention scores
 * (heads × chunk × ctx, as runtimes without flash attention materialise them). Taken at the dense width:
 * the MLP and the scores dominate, and slicing does not shrink either.
 */
export function workingSet(c: ModelConfig, ctx: number, batch: number): WorkingSet {
  const chunk = Math.min(ctx, PROMPT_CHUNK);
  const perToken = 4 * (4 * c.hiddenSize + 2 * c.intermediateSize);
  const scores = 4 * c.numHeads * chunk * ctx;
  return { perDevice: batch * (chunk * perToken + scores), logits: 4 * batch * chunk * c.vocabSize, chunk };
}

export interface UsageBreakdown {
  embedding: number;
  weights: number;
  shortcuts: number;
  head: number;
  kvCache: number;
  activations: number;
  runtime: number;
}

export interface DeviceUsage {
  device: string;
  kind: 'gpu' | 'cpu';
  capacityBytes: number;
  usedBytes: number;
  fits: boolean;
  /** Layer range held, inclusive; null if none. */
  layers: [number, number] | null;
  holdsEmbedding: boolean;
  holdsHead: boolean;
  breakdown: UsageBreakdown;
}

export interface SplitInput {
  config: ModelConfig;
  weights: WeightBytes;
  kvPerLayer: number;
  work: WorkingSet;
}

const emptyBreakdown = (): UsageBreakdown => ({ embedding: 0, weights: 0, shortcuts: 0, head: 0, kvCache: 0, activations: 0, runtime: 0 });
const totalOf = (b: UsageBreakdown): number => b.embedding + b.weights + b.shortcuts + b.head + b.kvCache + b.activations + b.runtime;

/**
 * Split by whole layers, in order: the embedding on the first device, then layers, then the head on
 * the last device used. Each device is filled as far as it goes before moving on, which for an ordered
 * split is the best possible (if greedy filling fails, no contiguous split fits). A device costs its
 * runtime context and a working set once it holds anything. What fits nowhere lands on the last device,
 * which is then reported over capacity.
 */
export function splitAcrossDevices(input: SplitInput, hw: PlanHardware): DeviceUsage[] {
  const { weights, kvPerLayer, work } = input;
  const onCpu = hw.gpus.length === 0;
  const devices = onCpu ? [{ name: 'CPU (RAM)', freeBytes: hw.ramFreeBytes, kind: 'cpu' as const }] : hw.gpus.map((g) => ({ name: g.name, freeBytes: g.freeBytes, kind: 'gpu' as const }));
  const usage: DeviceUsage[] = devices.map((d) => ({
    device: d.name,
    kind: d.kind,
    capacityBytes: d.freeBytes,
    usedBytes: 0,
    fits: true,
    layers: null,
    holdsEmbedding: false,
    holdsHead: false,
    breakdown: emptyBreakdown(),
  }));
  const runtime = onCpu ? CPU_RUNTIME_BYTES : GPU_RUNTIME_BYTES;
  const openingCost = runtime + work.perDevice;
  // Plain numbers per item (no objects per layer): a search measures a 1,000-layer config thousands of times.
  const place = (kind: 'embedding' | 'layer' | 'head', layer: number, embedding: number, w: number, shortcuts: number, head: number, kvCache: number, activations: number, tiedCopy: number) => {
    // (No closures in here: tsx names every function it creates, which costs more than the arithmetic.)
    const own = embedding + w + shortcuts + head + kvCache + activations;
    let copy = tiedCopy > 0 && cur !== embeddingDevice ? tiedCopy : 0;
    while (cur < usage.length - 1 && usage[cur].usedBytes + (usage[cur].usedBytes === 0 ? openingCost : 0) + own + copy > usage[cur].capacityBytes) {
      cur++;
      copy = tiedCopy;
    }
    const u = usage[cur];
    const b = u.breakdown;
    if (u.usedBytes === 0) {
      b.runtime += runtime;
      b.activations += work.perDevice;
    }
    b.embedding += embedding;
    b.weights += w;
    b.shortcuts += shortcuts;
    b.head += head + copy;
    b.kvCache += kvCache;
    b.activations += activations;
    u.usedBytes = totalOf(b);
    if (kind === 'embedding') {
      u.holdsEmbedding = true;
      embeddingDevice = cur;
    } else if (kind === 'head') u.holdsHead = true;
    else u.layers = u.layers === null ? [layer, layer] : [u.layers[0], layer];
  };
  let embeddingDevice = 0;
  let cur = 0;
  place('embedding', -1, weights.embedding, 0, 0, 0, 0, 0, 0);
  const L = weights.layers.length;
  for (let l = 0; l < L;) {
    const w = weights.layers[l];
    const sc = weights.shortcuts[l];
    place('layer', l, 0, w, sc, 0, kvPerLayer, 0, 0);
    l++;
    // Identical layers that follow go in bulk: as many as the current device still holds (the result is
    // the same as placing them one at a time; a 1,000-layer config is split thousands of times per plan).
    let run = 0;
    while (l + run < L && weights.layers[l + run] === w && weights.shortcuts[l + run] === sc) run++;
    if (run === 0) continue;
    const u = usage[cur];
    const own = w + sc + kvPerLayer;
    const k = cur === usage.length - 1 || own <= 0 ? run : Math.min(run, Math.max(0, Math.floor((u.capacityBytes - u.usedBytes) / own)));
    if (k > 0) {
      u.breakdown.weights += k * w;
      u.breakdown.shortcuts += k * sc;
      u.breakdown.kvCache += k * kvPerLayer;
      u.usedBytes = totalOf(u.breakdown);
      u.layers = [u.layers![0], l + k - 1];
      l += k;
    }
  }
  // A tied head is the embedding's matrix: free beside it, a copy anywhere else.
  place('head', -1, 0, 0, 0, weights.head, 0, work.logits, weights.tiedHeadCopy);
  for (const u of usage) u.fits = u.usedBytes <= u.capacityBytes;
  return usage;
}

export interface SlicingRamOptions {
  /** Calibration sequences (the reference implementation's default: 128). */
  nsamples?: number;
  /** Calibration sequence length (default 2048). */
  seqlen?: number;
  /** The signal engine: 'device' (a GPU EP) also holds the layers' exact float16 forms for the uploads. Default 'host'. */
  engine?: 'host' | 'device';
}

export interface SlicingRam {
  /** Two layers in float32: the one being rotated and the next one, read while its passes run (the prefetch). */
  layerWeights: number;
  /** The device engine's float16 forms of the same two layers (2 bytes a weight, half-weights.ts); 0 on the host engine. */
  halfWeights: number;
  /** The embedding in float32 while it is rotated (the job holds it or two layers, not both). */
  embeddingWeights: number;
  /** Calibration activations: every sample's input and output of the current layer, float32. */
  activations: number;
  /** Covariance accumulator and eigenvector matrix, D×D float64 each. */
  pca: number;
  /** The eigensolver's D×D float64 working copy. */
  eigenWorkspace: number;
  /** Node, onnxruntime sessions and buffers. */
  runtime: number;
  total: number;
  nsamples: number;
  seqlen: number;
}

/** Process overhead of the slicing job (Node, onnxruntime's sessions and arenas). */
export const SLICING_RUNTIME_BYTES = 1 * GiB;

/** The PCA's D×D float64 arrays: covariance and eigenvectors (pca), the eigensolver's working copy and the threaded secular solve's shared array (eigenWorkspace). */
export function pcaRam(D: number): { pca: number; eigenWorkspace: number } {
  // the D&C's float64 vectors, plus the threaded secular solve's shared k×k working array (k ≤ D; secular-pool.ts)
  return { pca: 2 * D * D * 8, eigenWorkspace: 2 * D * D * 8 };
}

export function slicingJobRam(c: ModelConfig, opts: SlicingRamOptions = {}): SlicingRam {
  const nsamples = opts.nsamples ?? 128;
  const seqlen = opts.seqlen ?? 2048;
  const D = c.hiddenSize;
  const dense = denseShapes(c);
  const layerParams = Math.max(...dense.layers.map((l) => l.reduce((a, s) => a + shapeParams(s), 0)));
  const layerWeights = 2 * layerParams * 4;
  const halfWeights = opts.engine === 'device' ? 2 * layerParams * 2 : 0;
  const embeddingWeights = dense.embedding.reduce((a, s) => a + shapeParams(s), 0) * 4;
  const activations = nsamples * seqlen * D * 4 * 2;
  const { pca, eigenWorkspace } = pcaRam(D);
  const total = Math.max(layerWeights + halfWeights, embeddingWeights) + activations + pca + eigenWorkspace + SLICING_RUNTIME_BYTES;
  return { layerWeights, halfWeights, embeddingWeights, activations, pca, eigenWorkspace, runtime: SLICING_RUNTIME_BYTES, total, nsamples, seqlen };
}
