// A sliced model folder as a ModelSource, so perplexity, generation and evaluation run on it unchanged.
//
// Folder layout (written by core/slicegpt/output.ts):
// - config.json: the original model's config, unchanged (hidden_size stays D: norms divide by it);
// - slicing_config.json: the reference's SlicingConfig (per-layer widths);
// - model.safetensors.index.json + model-0000k-of-0000n.safetensors: shard 1 the embeddings, one shard per
//   layer, the last shard the head. Tensor names follow Hugging Face's for the family, plus the reference's
//   shortcut names `attn_shortcut_Q` / `mlp_shortcut_Q` (d_in × d_out, residual' = residual · S). Norms have
//   no tensors: after fusion every norm is a weightless RMSNorm over the original width D with the model's eps.
// - the tokenizer files of the original model;
// - slice_studio.json: how the slice was made, and `format` (absent in folders written before it: 1).
//   Format 2 stores a tied embedding once (core/slicegpt/tied.ts; `tiedEmbedding: true`): the tokens
//   tensor is the source's V×D table E, unrotated, `embed_projection` (D×d) gives the embedding
//   Gather(E)·P_emb, and `lm_head_projection` (weight D×k, bias D where the final norm had a shift) the
//   logits (norm(x)·Wᵀ + b)·Eᵀ. Format 1, and format 2 with `tiedEmbedding: false` (untied models, or where
//   two tables are smaller: core/model/tied-layout.ts), store every table rotated.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type ModelConfig } from '../model/config';
import { SafetensorsModel } from '../model/safetensors';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from '../model/weights';
import type { ArchSpec, ModelSource } from '../model/model-source';
import { archSpec } from '../model/arch-spec';
import { HeldTable } from '../model/held-table';
import { family, type LinearNames } from '../model/families/index';
import { inLayer } from '../model/families/names';
import { LIMITS, readJsonObjectSync } from '../model/input-file';
import { parseSlicingConfig } from './slicing-config';

export class SlicedModelFormatError extends Error {
  override name = 'SlicedModelFormatError';
}

export const SLICING_CONFIG = 'slicing_config.json';
export const SLICE_STUDIO_JSON = 'slice_studio.json';

/** The sliced-folder format this version writes; it reads every format up to it. */
export const SLICED_FORMAT = 2;
/** Format 2, tied embedding: the factors beside E (names outside every family's namespace). */
export const TIED_TENSORS = { embedProjection: 'embed_projection', headProjection: 'lm_head_projection' } as const;

/** Hugging Face tensor names of a family, for the pieces a sliced model keeps (from the family's adapter). */
export interface TensorNames {
  tokens: string;
  positions?: string;
  layer(i: number): string;
  q: string;
  k: string;
  v: string;
  o: string;
  /** Qwen3's per-head q/k norm weights (kept as the source stores them: slicing never touches the head dim). */
  qNorm?: string;
  kNorm?: string;
  gate?: string;
  up: string;
  down: string;
  head: string;
}

export function tensorNames(config: ModelConfig): TensorNames {
  const spec = family(config.family).adapter(config);
  const l = spec.layer;
  const rel = (x: LinearNames) => inLayer(spec, x);
  return {
    tokens: spec.tokens,
    ...(spec.positions ? { positions: spec.positions } : {}),
    layer: (i) => spec.layers.replaceAll('{i}', String(i)),
    q: rel(l.q),
    k: rel(l.k),
    v: rel(l.v),
    o: rel(l.o),
    ...(l.kind === 'sequential' && l.qNorm && l.kNorm ? { qNorm: inLayer(spec, l.qNorm), kNorm: inLayer(spec, l.kNorm) } : {}),
    ...(l.kind === 'sequential' && l.gate ? { gate: rel(l.gate) } : {}),
    up: rel(l.up),
    down: rel(l.down),
    head: spec.lm.p,
  };
}

export function isSlicedModelFolder(folder: string): boolean {
  return existsSync(join(folder, SLICING_CONFIG));
}

export class SlicedModelSource implements ModelSource {
  readonly config: ModelConfig;
  readonly arch: ArchSpec;
  readonly folder: string;
  readonly slicing: Record<string, unknown>;
  /** Format 2 with a tied embedding: E stored once with its two projections. */
  readonly tiedEmbedding: boolean;
  #st: SafetensorsModel;
  #names: TensorNames;
  #norm: NormSpec;
  /** A tied folder's E, shared by embedding and head while held (model/held-table.ts). */
  #tokens = new HeldTable();

  private constructor(folder: string, config: ModelConfig, slicing: Record<string, unknown>, st: SafetensorsModel, tiedEmbedding: boolean) {
    this.folder = folder;
    this.config = config;
    this.arch = archSpec(config);
    this.slicing = slicing;
    this.tiedEmbedding = tiedEmbedding;
    this.#st = st;
    this.#names = tensorNames(config);
    this.#norm = { kind: 'rmsnorm', eps: config.normEps, divisor: config.hiddenSize };
  }

  static async create(folder: string): Promise<SlicedModelSource> {
    const read = (name: string, limit: number): Record<string, unknown> => {
      const p = join(folder, name);
      if (!existsSync(p)) throw new SlicedModelFormatError(`${folder} is not a sliced model: ${name} is missing`);
      return readJsonObjectSync(p, limit, SlicedModelFormatError);
    };
    const slicing = parseSlicingConfig(read(SLICING_CONFIG, LIMITS.slicingConfig)) as unknown as Record<string, unknown>;
    const config = parseConfig(read('config.json', LIMITS.config));
    if (slicing.hidden_size !== config.hiddenSize || slicing.layers_num !== config.numLayers) throw new SlicedModelFormatError(`slicing_config.json (hidden ${slicing.hidden_size}, ${slicing.layers_num} layers) does not match config.json`);
    const studio = existsSync(join(folder, SLICE_STUDIO_JSON)) ? read(SLICE_STUDIO_JSON, LIMITS.slicingConfig) : {};
    const format = studio.format ?? 1;
    if (!(Number.isInteger(format) && (format as number) >= 1)) throw new SlicedModelFormatError(`${SLICE_STUDIO_JSON} in ${folder} has no valid format (a whole number from 1)`);
    if ((format as number) > SLICED_FORMAT) throw new SlicedModelFormatError(`${folder} is a sliced model of format ${format}, written by a newer Slice Studio; this version reads formats 1 to ${SLICED_FORMAT}`);
    const tied = format === 2 && studio.tiedEmbedding === true;
    const st = await SafetensorsModel.create(folder);
    if (tied) for (const name of [TIED_TENSORS.embedProjection, `${TIED_TENSORS.headProjection}.weight`]) if (!st.has(name)) throw new SlicedModelFormatError(`${folder} stores a tied embedding but has no tensor ${name}`);
    return new SlicedModelSource(folder, config, slicing, st, tied);
  }

  async #matrix(name: string): Promise<Matrix> {
    const info = this.#st.info(name);
    if (info.shape.length !== 2) throw new SlicedModelFormatError(`${name} should be 2-D, is ${JSON.stringify(info.shape)}`);
    return { rows: info.shape[0], cols: info.shape[1], data: await this.#st.read(name) };
  }

  async #linear(prefix: string): Promise<Linear> {
    const weight = await this.#matrix(`${prefix}.weight`);
    return this.#st.has(`${prefix}.bias`) ? { weight, bias: await this.#st.read(`${prefix}.bias`) } : { weight };
  }

  async #optional(name: string): Promise<Matrix | undefined> {
    return this.#st.has(name) ? this.#matrix(name) : undefined;
  }

  async embedding(): Promise<EmbeddingWeights> {
    const n = this.#names;
    const e: EmbeddingWeights = { tokens: await this.#tokens.get(() => this.#matrix(n.tokens)) };
    if (this.tiedEmbedding) e.projection = await this.#matrix(TIED_TENSORS.embedProjection);
    if (n.positions && this.#st.has(n.positions)) {
      e.positions = await this.#matrix(n.positions);
      e.positionOffset = this.config.positionOffset;
    }
    return e;
  }

  async layer(i: number): Promise<LayerWeights> {
    if (!(Number.isInteger(i) && i >= 0 && i < this.config.numLayers)) throw new RangeError(`layer ${i} out of range`);
    const n = this.#names;
    const p = n.layer(i);
    const lin = (s: string) => this.#linear(`${p}.${s}`);
    const [q, k, v, o] = await Promise.all([lin(n.q), lin(n.k), lin(n.v), lin(n.o)]);
    const mlp = { ...(n.gate ? { gate: await lin(n.gate) } : {}), up: await lin(n.up), down: await lin(n.down) };
    if (this.config.parallelBlocks) {
      const shortcut = await this.#optional(`${p}.attn_shortcut_Q`);
      return { kind: 'parallel', block: { norm: this.#norm, attn: { q, k, v, o }, mlp, ...(shortcut ? { shortcut } : {}) } };
    }
    const sa = await this.#optional(`${p}.attn_shortcut_Q`);
    const sm = await this.#optional(`${p}.mlp_shortcut_Q`);
    const qkNorm = n.qNorm && n.kNorm ? { eps: this.config.normEps, q: await this.#st.read(`${p}.${n.qNorm}.weight`), k: await this.#st.read(`${p}.${n.kNorm}.weight`) } : undefined;
    return {
      kind: 'sequential',
      attn: { norm: this.#norm, q, k, v, o, ...(qkNorm ? { qkNorm } : {}), ...(sa ? { shortcut: sa } : {}) },
      mlp: { norm: this.#norm, ...mlp, ...(sm ? { shortcut: sm } : {}) },
    };
  }

  async head(): Promise<HeadWeights> {
    if (this.tiedEmbedding) return { norm: this.#norm, lm: await this.#linear(TIED_TENSORS.headProjection), vocab: await this.#tokens.get(() => this.#matrix(this.#names.tokens)) };
    return { norm: this.#norm, lm: await this.#linear(this.#names.head) };
  }
}
