// A sliced model folder as a ModelSource, so perplexity, generation and evaluation run on it unchanged.
//
// Folder layout (written by core/slicegpt/output.ts):
// - config.json: the original model's config, unchanged (hidden_size stays D: norms divide by it);
// - slicing_config.json: the reference's SlicingConfig (per-layer widths);
// - model.safetensors.index.json + model-0000k-of-0000n.safetensors: shard 1 the embeddings, one shard per
//   layer, the last shard the head. Tensor names follow Hugging Face's for the family, plus the reference's
//   shortcut names `attn_shortcut_Q` / `mlp_shortcut_Q` (d_in × d_out, residual' = residual · S). Norms have
//   no tensors: after fusion every norm is a weightless RMSNorm over the original width D with the model's eps.
// - the tokenizer files of the original model.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type ModelConfig } from '../model/config';
import { SafetensorsModel } from '../model/safetensors';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from '../model/weights';
import type { ArchSpec, ModelSource } from '../model/model-source';
import { archSpec } from '../model/adapters/index';
import { LIMITS, readJsonObjectSync } from '../model/input-file';
import { parseSlicingConfig } from './slicing-config';

export class SlicedModelFormatError extends Error {
  override name = 'SlicedModelFormatError';
}

export const SLICING_CONFIG = 'slicing_config.json';

/** Hugging Face tensor-name prefixes of a family, for the pieces a sliced model keeps. */
export interface TensorNames {
  tokens: string;
  positions?: string;
  layer(i: number): string;
  q: string; k: string; v: string; o: string;
  gate?: string; up: string; down: string;
  head: string;
}

export function tensorNames(config: ModelConfig): TensorNames {
  switch (config.family) {
    case 'opt':
      return {
        tokens: 'model.decoder.embed_tokens.weight',
        positions: 'model.decoder.embed_positions.weight',
        layer: (i) => `model.decoder.layers.${i}`,
        q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.out_proj',
        up: 'fc1', down: 'fc2',
        head: 'lm_head',
      };
    case 'phi':
      return {
        tokens: 'model.embed_tokens.weight',
        layer: (i) => `model.layers.${i}`,
        q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.dense',
        up: 'mlp.fc1', down: 'mlp.fc2',
        head: 'lm_head',
      };
    default:
      return {
        tokens: 'model.embed_tokens.weight',
        layer: (i) => `model.layers.${i}`,
        q: 'self_attn.q_proj', k: 'self_attn.k_proj', v: 'self_attn.v_proj', o: 'self_attn.o_proj',
        gate: 'mlp.gate_proj', up: 'mlp.up_proj', down: 'mlp.down_proj',
        head: 'lm_head',
      };
  }
}

export function isSlicedModelFolder(folder: string): boolean {
  return existsSync(join(folder, SLICING_CONFIG));
}

export class SlicedModelSource implements ModelSource {
  readonly config: ModelConfig;
  readonly arch: ArchSpec;
  readonly folder: string;
  readonly slicing: Record<string, unknown>;
  #st: SafetensorsModel;
  #names: TensorNames;
  #norm: NormSpec;

  private constructor(folder: string, config: ModelConfig, slicing: Record<string, unknown>, st: SafetensorsModel) {
    this.folder = folder;
    this.config = config;
    this.arch = archSpec(config);
    this.slicing = slicing;
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
    if (slicing.hidden_size !== config.hiddenSize || slicing.layers_num !== config.numLayers)
      throw new SlicedModelFormatError(`slicing_config.json (hidden ${slicing.hidden_size}, ${slicing.layers_num} layers) does not match config.json`);
    return new SlicedModelSource(folder, config, slicing, await SafetensorsModel.create(folder));
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
    const e: EmbeddingWeights = { tokens: await this.#matrix(n.tokens) };
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
    return {
      kind: 'sequential',
      attn: { norm: this.#norm, q, k, v, o, ...(sa ? { shortcut: sa } : {}) },
      mlp: { norm: this.#norm, ...mlp, ...(sm ? { shortcut: sm } : {}) },
    };
  }

  async head(): Promise<HeadWeights> {
    return { norm: this.#norm, lm: await this.#linear(this.#names.head) };
  }
}
