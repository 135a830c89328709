// How much memory recovery fine-tuning needs, as a function of the sliced model's shape (widths, layers,
// vocabulary), the batch (B × S tokens) and the LoRA rank — for the one-graph step and the layer-streamed
// one, on the host and on a GPU. Everything trains in float32.
//
// Terms (bytes): tables (embedding and head as the graphs read them, held for the whole run); adapters
// (A, B, their gradients, the accumulated gradients, AdamW's m and v: 6 copies); checkpoints (the
// streamed step keeps each block's input: (L + 1) · N · d); one block's weights (read from the folder
// in its dtype, then float32); one block's internals (the recomputed forward and its backward: attention
// scores B·H·S² a few times over, the MLP's N·F tensors, the N·D ones), the head's internals (N·V
// logits, their softmax and gradient); dropout masks when dropout is on (one [N, in] float32 mask per
// adapter: the one-graph step is fed every layer's at once, the streamed step draws a block's when the
// block runs, dropout.ts); the runtime itself. The counts of live copies (ATTN, MLP, LINEAR,
// LOGITS) were set from the graphs' tensors and checked against measured peak RSS (bench/recover-step.ts,
// bench/results/recover-memory-*.json).
import type { ModelConfig } from '../model/config';
import type { SlicingConfigJson } from '../slicegpt/slicing-config';
import { LORA_ROLES, type LoraRole } from './lora';

const F32 = 4;
/** Live float32 copies at the block backward's peak, per kind of tensor. */
const ATTN = 4;
const MLP = 8;
const LINEAR = 24;
const LOGITS = 6;
/** Node, ORT and the app's code. */
export const RUNTIME_BYTES = 350 * 2 ** 20;
/**
 * What a GPU EP adds on the host (ORT's WebGPU EP, Dawn, the Vulkan driver's mappings): measured on an H100,
 * 7B-shape streamed stack at 1 × 1024 and 4 × 1024, peak RSS 3.44 / 3.59 GiB where the terms below came to
 * 2.48 / 2.59 GiB (bench/results/recover-step-7b-h100-session7.json).
 */
export const GPU_RUNTIME_BYTES = 2 ** 30;

export interface TrainShape {
  vocab: number;
  /** The original width (norms, q/k/v outputs). */
  hidden: number;
  intermediate: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  layers: number;
  gated: boolean;
  /** Widths: the embedding's, the blocks' (the most common: a per-layer slice keeps d but the last block's output when the head is unsliced), the head's input. */
  embeddingWidth: number;
  blockWidth: number;
  headWidth: number;
  /** A tied embedding stored once: the source's V × D table is held beside the products the graphs read. */
  tied: boolean;
  /** Bytes per weight in the folder (2 for bf16/f16, 4 for float32). */
  storedBytes: number;
}

export interface TrainSettings {
  batch: number;
  seq: number;
  rank: number;
  roles?: readonly LoraRole[];
  /** Dropout on the adapters' inputs (p > 0): the masks take memory, p itself does not matter. */
  dropout?: boolean;
}

export interface TrainMemory {
  tables: number;
  adapters: number;
  checkpoints: number;
  block: number;
  blockInternals: number;
  headInternals: number;
  /** Dropout masks on the host: the one-graph step's (every layer's, fed in one run) and the streamed step's
   * (drawn a block at a time: the running block's and the last one's, not yet collected, as for its weights);
   * the device holds one block's. */
  masks: { whole: number; streamed: number };
  /** Peak host RAM and (GPU EP) device memory of each path; the one-graph path runs on the CPU only. */
  streamed: { host: number; hostWithGpu: number; device: number };
  whole: { host: number };
  adapterParams: number;
}

export function trainShape(c: ModelConfig, s: SlicingConfigJson, storedBytes: number, tiedStoredOnce: boolean): TrainShape {
  const widths = [...Object.values(s.attention_input_dimensions), ...Object.values(s.mlp_input_dimensions), ...Object.values(s.mlp_output_dimensions)];
  const emb = Math.max(...Object.values(s.embedding_dimensions));
  return shapeOf(c, { embedding: emb, block: widths.length ? mostCommon(widths) : emb, head: s.head_dimension ?? c.hiddenSize }, storedBytes, tiedStoredOnce);
}

/** A config's shape at the given widths (a slice's, or a synthetic stack's). */
/** The config fields the shape reads (the wizard's config summary has them too). */
export type ShapeConfig = Pick<ModelConfig, 'vocabSize' | 'hiddenSize' | 'intermediateSize' | 'numHeads' | 'numKvHeads' | 'headDim' | 'numLayers' | 'gatedMlp'>;

export function shapeOf(c: ShapeConfig, w: { embedding: number; block: number; head: number }, storedBytes: number, tied: boolean): TrainShape {
  return {
    vocab: c.vocabSize,
    hidden: c.hiddenSize,
    intermediate: c.intermediateSize,
    heads: c.numHeads,
    kvHeads: c.numKvHeads,
    headDim: c.headDim,
    layers: c.numLayers,
    gated: c.gatedMlp,
    embeddingWidth: w.embedding,
    blockWidth: w.block,
    headWidth: w.head,
    tied,
    storedBytes,
  };
}

function mostCommon(xs: number[]): number {
  const n = new Map<number, number>();
  for (const x of xs) n.set(x, (n.get(x) ?? 0) + 1);
  return [...n].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0][0];
}

/** A block's linears (in, out) at width d: q/k/v read d, o writes d, the MLP reads and writes d. */
function linears(s: TrainShape): Record<LoraRole, [number, number] | undefined> {
  const d = s.blockWidth;
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  return { q: [d, q], k: [d, kv], v: [d, kv], o: [q, d], gate: s.gated ? [d, s.intermediate] : undefined, up: [d, s.intermediate], down: [s.intermediate, d] };
}

export function blockParams(s: TrainShape): number {
  const shortcuts = 2 * s.blockWidth * s.blockWidth;
  return Object.values(linears(s)).reduce((n, l) => n + (l ? l[0] * l[1] : 0), shortcuts);
}

export function trainMemory(s: TrainShape, o: TrainSettings): TrainMemory {
  const N = o.batch * o.seq;
  const roles = o.roles ?? LORA_ROLES;
  const lin = linears(s);
  const perLayer = roles.reduce((n, r) => n + (lin[r] ? o.rank * (lin[r]![0] + lin[r]![1]) : 0), 0);
  const adapterParams = perLayer * s.layers;
  const adapters = 6 * adapterParams * F32;
  const blockMasks = o.dropout ? N * roles.reduce((n, r) => n + (lin[r] ? lin[r]![0] : 0), 0) * F32 : 0;
  const masks = { whole: s.layers * blockMasks, streamed: 2 * blockMasks };
  const tables = F32 * s.vocab * (s.embeddingWidth + s.headWidth + (s.tied ? 2 * s.hidden : 0));
  const checkpoints = (s.layers + 1) * N * s.blockWidth * F32;
  const blockF32 = blockParams(s) * F32;
  // Two blocks on the host: the one running and the last one's buffers, freed only when V8 collects them
  // (measured: 7B-shape stack, 2.9 GiB peak RSS where one block predicted 1.9).
  const block = 2 * (blockF32 + blockParams(s) * s.storedBytes);
  const blockInternals = F32 * (ATTN * o.batch * s.heads * o.seq * o.seq + MLP * N * s.intermediate + LINEAR * N * Math.max(s.hidden, s.blockWidth));
  const headInternals = F32 * (LOGITS * N * s.vocab + 4 * N * s.headWidth);
  const io = 3 * N * s.blockWidth * F32;
  const held = RUNTIME_BYTES + tables + adapters + checkpoints + masks.streamed;
  return {
    tables,
    adapters,
    checkpoints,
    block,
    blockInternals,
    headInternals,
    masks,
    streamed: {
      host: held + Math.max(block + blockInternals + io, headInternals),
      hostWithGpu: held + block + GPU_RUNTIME_BYTES,
      device: Math.max(blockF32 + blockInternals + io + blockMasks, F32 * s.vocab * s.headWidth + headInternals),
    },
    // Every weight in float32 twice (the app's copy and the graph's initializers) and every block's internals at once.
    whole: { host: RUNTIME_BYTES + tables + adapters + masks.whole + s.layers * (2 * blockF32 + blockInternals) + headInternals },
    adapterParams,
  };
}
