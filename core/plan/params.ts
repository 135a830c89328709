// Exact tensor shapes, and so parameter counts, of a dense model and of its SliceGPT slice, from the
// config alone. Counting shapes (not a closed formula) lets memory.ts size each tensor in its own
// storage type and lets tests compare against a real safetensors header.
//
// SliceGPT's shapes with slicing width d (Ashkboos et al. 2024, §3): the embedding writes d; in each
// block q/k/v read d (their outputs, the heads, are unchanged), o writes d, the MLP reads d and writes d;
// the residual carries a d×d shortcut matrix around every attention block and every MLP block (phi's
// parallel block: one per layer). With the head left unsliced (the default) the last block writes D and
// its shortcut is d×D; sliced, the head reads d. LayerNorm/RMSNorm weights and biases are fused into the
// following linears, so the sliced model's norms carry no parameters; a LayerNorm's bias becomes part of
// the q/k/v and fc1 biases (which OPT and phi already have, so no new tensors). The head is always its own
// tensor after slicing: the embedding is rotated by the first block's Q, the head by the last's — except a
// tied embedding (no head bias of its own), which the slice keeps once, V×D as it came, beside two D-row
// factors: the embedding's D×d and the head's D×d_head (+ a D bias for LayerNorm models; core/slicegpt/tied.ts),
// whenever that is the smaller layout (core/model/tied-layout.ts).
//
// Uniform rotation (issue #7, the GGUF mode): one Q for the whole stream, so no shortcuts, the head is
// sliced, and the RMSNorm weights stay as d-vectors (they hold the √(D/d) compensation).
import type { ModelConfig } from '../model/config';
import { storesTiedEmbedding } from '../model/tied-layout';
import { countParameters } from '../model/param-count';
import { ggufQuantModel, type GgufQuantModel } from './gguf-types';

export type TensorRole = 'embedding' | 'positions' | 'linear' | 'shortcut' | 'vector' | 'head';

/** A matrix of `rows` outputs × `rowLength` inputs (a vector: rows = 1). */
export interface TensorShape {
  name: string;
  role: TensorRole;
  rows: number;
  rowLength: number;
}

export type Rotation = 'per-layer' | 'uniform';

export interface ModelShapes {
  sliced: boolean;
  ratio: number;
  rotation: Rotation;
  /** Residual width of the dense model. */
  D: number;
  /** Residual width kept (D when dense). */
  d: number;
  sliceHead: boolean;
  /** Head shares the embedding's storage (dense tied models only). */
  tiedHead: boolean;
  embedding: TensorShape[];
  layers: TensorShape[][];
  /** Final norm and head (head omitted when tied). */
  head: TensorShape[];
  /** What llama.cpp's quantizer sees of this model written as GGUF (gguf-types.ts); null when no GGUF export can
   * write it (a family without a llama.cpp architecture, or a per-layer slice: its shortcuts have no place there). */
  gguf: (GgufQuantModel & { fused: boolean; ropeFreqs: number }) | null;
}

export class PlanInputError extends Error {
  override name = 'PlanInputError';
}

export const DEFAULT_ROUND = 8;

/**
 * The width a slicing ratio keeps — the one place d is computed (the slicer's schedule, the planner and its
 * explanation all call this): floor((1 − ratio)·D), then rounded down to a multiple of `round` (as the
 * reference implementation does with its round_interval of 8; GGUF blocks need 32 or 256). No checks:
 * each caller refuses bad input with its own error.
 */
export function keptWidth(D: number, ratio: number, round: number): { kept: number; d: number } {
  // 1e-9 absorbs binary fractions: (1 − 0.3)·4096 must floor to 2867, not 2866.
  const kept = Math.floor((1 - ratio) * D + 1e-9);
  return { kept, d: kept - (kept % round) };
}

/** keptWidth's d for the planner, refusing ratios and roundings that leave nothing. */
export function slicedDim(D: number, ratio: number, round = DEFAULT_ROUND): number {
  if (!(ratio >= 0 && ratio < 1)) throw new PlanInputError(`slicing ratio ${ratio} is outside [0, 1)`);
  if (!(Number.isInteger(round) && round >= 1)) throw new PlanInputError(`round ${round} must be a positive integer`);
  const { d } = keptWidth(D, ratio, round);
  if (d < round) throw new PlanInputError(`slicing ${Math.round(ratio * 100)}% of D = ${D} leaves nothing (d < ${round})`);
  return d;
}

const t = (name: string, role: TensorRole, rows: number, rowLength: number): TensorShape => ({ name, role, rows, rowLength });

const normTensors = (c: ModelConfig, name: string, width: number): TensorShape[] => (c.norm === 'layernorm' ? [t(`${name}.weight`, 'vector', 1, width), t(`${name}.bias`, 'vector', 1, width)] : [t(`${name}.weight`, 'vector', 1, width)]);

/** One block's q/k/v/o and MLP tensors reading `dIn` (attention and MLP input) and writing `dOut`. */
function blockTensors(c: ModelConfig, attnIn: number, attnOut: number, mlpIn: number, mlpOut: number): TensorShape[] {
  const q = c.numHeads * c.headDim;
  const kv = c.numKvHeads * c.headDim;
  const I = c.intermediateSize;
  const out: TensorShape[] = [t('q_proj', 'linear', q, attnIn), t('k_proj', 'linear', kv, attnIn), t('v_proj', 'linear', kv, attnIn)];
  if (c.attentionBias) out.push(t('q_proj.bias', 'vector', 1, q), t('k_proj.bias', 'vector', 1, kv), t('v_proj.bias', 'vector', 1, kv));
  out.push(t('o_proj', 'linear', attnOut, q));
  if (c.attentionOutBias) out.push(t('o_proj.bias', 'vector', 1, attnOut));
  if (c.qkNorm) out.push(t('q_norm', 'vector', 1, c.headDim), t('k_norm', 'vector', 1, c.headDim));
  if (c.gatedMlp) {
    out.push(t('gate_proj', 'linear', I, mlpIn), t('up_proj', 'linear', I, mlpIn), t('down_proj', 'linear', mlpOut, I));
    if (c.mlpBias) out.push(t('gate_proj.bias', 'vector', 1, I), t('up_proj.bias', 'vector', 1, I), t('down_proj.bias', 'vector', 1, mlpOut));
  } else {
    out.push(t('fc1', 'linear', I, mlpIn));
    if (c.mlpBias) out.push(t('fc1.bias', 'vector', 1, I));
    out.push(t('fc2', 'linear', mlpOut, I));
    if (c.mlpBias) out.push(t('fc2.bias', 'vector', 1, mlpOut));
  }
  return out;
}

function embeddingTensors(c: ModelConfig, width: number): TensorShape[] {
  const out = [t('embed_tokens', 'embedding', c.vocabSize, width)];
  // OPT's learned position table has max_position_embeddings + 2 rows (its first two are never used).
  if (c.rope === null) out.push(t('embed_positions', 'positions', c.maxPositions + c.positionOffset, width));
  return out;
}

export function denseShapes(c: ModelConfig): ModelShapes {
  const D = c.hiddenSize;
  // Every layer has the same shapes: one array, shared (a 1,000-layer config is planned hundreds of times).
  const norms = c.parallelBlocks ? normTensors(c, 'input_layernorm', D) : [...normTensors(c, 'input_layernorm', D), ...normTensors(c, 'post_attention_layernorm', D)];
  const layers: TensorShape[][] = new Array<TensorShape[]>(c.numLayers).fill([...norms, ...blockTensors(c, D, D, D, D)]);
  const head = normTensors(c, 'final_norm', D);
  if (!c.tieWordEmbeddings) head.push(t('lm_head', 'head', c.vocabSize, D));
  if (c.lmHeadBias) head.push(t('lm_head.bias', 'vector', 1, c.vocabSize));
  return { sliced: false, ratio: 0, rotation: 'per-layer', D, d: D, sliceHead: false, tiedHead: c.tieWordEmbeddings, embedding: embeddingTensors(c, D), layers, head, gguf: ggufQuantModel(c, D, false) };
}

export interface SliceShapeOptions {
  ratio: number;
  round?: number;
  sliceHead?: boolean;
  rotation?: Rotation;
}

/** The sliced embedding: rotated tables of width d, or (tied, stored once) E and its D×d factor. */
function slicedEmbedding(c: ModelConfig, d: number, once: boolean): TensorShape[] {
  if (!once) return embeddingTensors(c, d);
  const [tokens, ...positions] = embeddingTensors(c, d);
  return [t(tokens.name, 'embedding', c.vocabSize, c.hiddenSize), t('embed_projection', 'linear', c.hiddenSize, d), ...positions];
}

/** The sliced head reading width `headIn`: V×headIn (+ its bias), or (tied) the D×headIn factor (+ D bias). */
function slicedHead(c: ModelConfig, headIn: number, foldsShift: boolean, once: boolean): TensorShape[] {
  if (once) {
    const head = [t('lm_head_projection', 'linear', c.hiddenSize, headIn)];
    if (foldsShift) head.push(t('lm_head_projection.bias', 'vector', 1, c.hiddenSize));
    return head;
  }
  const head = [t('lm_head', 'head', c.vocabSize, headIn)];
  if (c.lmHeadBias || foldsShift) head.push(t('lm_head.bias', 'vector', 1, c.vocabSize));
  return head;
}

export function slicedShapes(c: ModelConfig, opts: SliceShapeOptions): ModelShapes {
  const D = c.hiddenSize;
  const rotation = opts.rotation ?? 'per-layer';
  if (rotation === 'uniform') return uniformShapes(c, opts);
  const d = slicedDim(D, opts.ratio, opts.round);
  const sliceHead = opts.sliceHead ?? false;
  const layerWith = (out: number): TensorShape[] =>
    c.parallelBlocks ? [...blockTensors(c, d, out, d, out), t('shortcut', 'shortcut', out, d)] : [...blockTensors(c, d, d, d, out), t('attn_shortcut', 'shortcut', d, d), t('mlp_shortcut', 'shortcut', out, d)];
  // All layers but the last share one array (see denseShapes); the last writes D for an unsliced head.
  const layers: TensorShape[][] = new Array<TensorShape[]>(c.numLayers).fill(layerWith(d));
  layers[c.numLayers - 1] = layerWith(sliceHead ? d : D);
  // Fusion folds the final LayerNorm's bias into the head, which gains a bias where it had none (OPT).
  const once = storesTiedEmbedding(c, d, sliceHead ? d : D);
  const head = slicedHead(c, sliceHead ? d : D, c.norm === 'layernorm', once);
  return { sliced: true, ratio: opts.ratio, rotation, D, d, sliceHead, tiedHead: once, embedding: slicedEmbedding(c, d, once), layers, head, gguf: null };
}

function uniformShapes(c: ModelConfig, opts: SliceShapeOptions): ModelShapes {
  const D = c.hiddenSize;
  const d = slicedDim(D, opts.ratio, opts.round);
  const norms = c.parallelBlocks ? [t('input_layernorm.weight', 'vector', 1, d)] : [t('input_layernorm.weight', 'vector', 1, d), t('post_attention_layernorm.weight', 'vector', 1, d)];
  const layers: TensorShape[][] = new Array<TensorShape[]>(c.numLayers).fill([...norms, ...blockTensors(c, d, d, d, d)]);
  const once = storesTiedEmbedding(c, d, d);
  const head = [t('final_norm.weight', 'vector', 1, d), ...slicedHead(c, d, false, once)];
  return { sliced: true, ratio: opts.ratio, rotation: 'uniform', D, d, sliceHead: true, tiedHead: once, embedding: slicedEmbedding(c, d, once), layers, head, gguf: ggufQuantModel(c, d, true) };
}

export const shapeParams = (s: TensorShape): number => s.rows * s.rowLength;
const sum = (ts: TensorShape[], role?: TensorRole): number => ts.reduce((a, s) => a + (role === undefined || s.role === role ? shapeParams(s) : 0), 0);

export interface ParamCount {
  total: number;
  embedding: number;
  /** All block tensors, shortcuts included. */
  layers: number;
  /** The shortcut matrices alone (part of `layers`). */
  shortcuts: number;
  /** Final norm and head (0 for a tied head, counted once with the embedding). */
  head: number;
  /** Per layer, shortcuts included. */
  perLayer: number[];
}

/** `f` of each layer, computed once per distinct array (layers share arrays). */
export function perDistinct<T>(layers: TensorShape[][], f: (l: TensorShape[]) => T): T[] {
  const seen = new Map<TensorShape[], T>();
  return layers.map((l) => {
    if (!seen.has(l)) seen.set(l, f(l));
    return seen.get(l)!;
  });
}

export function countParams(m: ModelShapes): ParamCount {
  const perLayer = perDistinct(m.layers, (l) => sum(l));
  const embedding = sum(m.embedding);
  const layers = perLayer.reduce((a, b) => a + b, 0);
  const shortcuts = perDistinct(m.layers, (l) => sum(l, 'shortcut')).reduce((a, b) => a + b, 0);
  const head = sum(m.head);
  return { total: embedding + layers + head, embedding, layers, shortcuts, head, perLayer };
}

/** Parameters of the dense model: the one dense counter (core/model/param-count.ts, which inspection uses too). */
export const denseParams = (c: ModelConfig): number => countParameters(c);

/** Parameters of the model sliced at `ratio` (shortcut matrices included, as the paper counts them). */
export const slicedParams = (c: ModelConfig, opts: SliceShapeOptions): number => countParams(slicedShapes(c, opts)).total;
