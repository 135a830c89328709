// Writing a sliced model folder (format: core/model/sliced-source.ts). One shard per piece, written as soon
// as the piece is final, so the folder itself is most of the per-layer checkpoint.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { copyWritable } from '../files/copy-writable';
import { join } from 'node:path';
import type { ModelConfig } from '../model/config';
import { tensorNames, SLICED_FORMAT, SLICE_STUDIO_JSON, SLICING_CONFIG, TIED_TENSORS, type TensorNames } from './sliced-source';
import { writeSafetensors, type TensorToWrite } from '../model/safetensors-writer';
import { listModelTensors, readSafetensorsHeader } from '../model/safetensors';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix } from '../model/weights';
import type { SlicingConfigJson } from './slicing-config';
import { storageOf } from '../model/lazy-half';

export type OutputDtype = 'float32' | 'float16' | 'bfloat16';

const ST_DTYPE = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' } as const;

/** Files copied from the original folder besides config.json (the tokenizer and generation settings). */
const COPIED = /^(tokenizer.*|special_tokens_map\.json|generation_config\.json|vocab\.json|merges\.txt|.*\.model)$/;

export class SlicedModelWriter {
  readonly out: string;
  readonly #config: ModelConfig;
  readonly #names: TensorNames;
  readonly #dtype: 'F32' | 'F16' | 'BF16';
  readonly #shards: number;

  constructor(out: string, config: ModelConfig, dtype: OutputDtype = 'float32') {
    this.out = out;
    this.#config = config;
    this.#names = tensorNames(config);
    this.#dtype = ST_DTYPE[dtype];
    this.#shards = config.numLayers + 2;
    mkdirSync(out, { recursive: true });
    // A run killed while writing a shard leaves its `<shard>.tmp-<pid>`; the shard itself is rewritten
    // on resume, so the leftover is only clutter that would ship with the model.
    for (const f of readdirSync(out)) if (/\.safetensors\.tmp-\d+$/.test(f)) rmSync(join(out, f), { force: true });
  }

  shardName(k: number): string {
    const pad = (x: number) => String(x).padStart(5, '0');
    return `model-${pad(k)}-of-${pad(this.#shards)}.safetensors`;
  }

  // Each matrix's array as it is (lazy-half.ts): a float16 shard writes a lazy matrix's bits without widening it.
  #m(name: string, m: Matrix): TensorToWrite {
    return { name, dtype: this.#dtype, shape: [m.rows, m.cols], data: storageOf(m) };
  }

  #lin(prefix: string, l: Linear): TensorToWrite[] {
    const t = [this.#m(`${prefix}.weight`, l.weight)];
    if (l.bias) t.push({ name: `${prefix}.bias`, dtype: this.#dtype, shape: [l.bias.length], data: l.bias });
    return t;
  }

  async writeEmbedding(e: EmbeddingWeights): Promise<void> {
    const t = [this.#m(this.#names.tokens, e.tokens)];
    if (e.projection) t.push(this.#m(TIED_TENSORS.embedProjection, e.projection));
    if (e.positions && this.#names.positions) t.push(this.#m(this.#names.positions, e.positions));
    await writeSafetensors(join(this.out, this.shardName(1)), t, { format: 'pt' });
  }

  async writeLayer(i: number, w: LayerWeights): Promise<void> {
    const n = this.#names;
    const p = n.layer(i);
    const t: TensorToWrite[] = [];
    const attn = w.kind === 'parallel' ? w.block.attn : w.attn;
    const mlp = w.kind === 'parallel' ? w.block.mlp : w.mlp;
    t.push(...this.#lin(`${p}.${n.q}`, attn.q), ...this.#lin(`${p}.${n.k}`, attn.k), ...this.#lin(`${p}.${n.v}`, attn.v), ...this.#lin(`${p}.${n.o}`, attn.o));
    // Head norms (vectors of headDim) as the source holds them: slicing leaves them as they are.
    if (attn.qkNorm && n.qNorm && n.kNorm)
      for (const [name, v] of [
        [n.qNorm, attn.qkNorm.q],
        [n.kNorm, attn.qkNorm.k],
      ] as const)
        t.push({ name: `${p}.${name}.weight`, dtype: this.#dtype, shape: [v.length], data: v });
    if (mlp.gate && n.gate) t.push(...this.#lin(`${p}.${n.gate}`, mlp.gate));
    t.push(...this.#lin(`${p}.${n.up}`, mlp.up), ...this.#lin(`${p}.${n.down}`, mlp.down));
    // Shortcuts in the weights' dtype too, as the reference stores them (fp16): in float32 they made a
    // float16 model's slice larger than the model itself.
    const sc = (name: string, m?: Matrix) => m && t.push(this.#m(`${p}.${name}`, m));
    if (w.kind === 'parallel') sc('attn_shortcut_Q', w.block.shortcut);
    else {
      sc('attn_shortcut_Q', w.attn.shortcut);
      sc('mlp_shortcut_Q', w.mlp.shortcut);
    }
    await writeSafetensors(join(this.out, this.shardName(i + 2)), t, { format: 'pt' });
  }

  /** A tied head (`vocab`) is written as its projection alone: the embedding shard holds E. */
  async writeHead(h: HeadWeights): Promise<void> {
    await writeSafetensors(join(this.out, this.shardName(this.#shards)), this.#lin(h.vocab ? TIED_TENSORS.headProjection : this.#names.head, h.lm), { format: 'pt' });
  }

  /** The index, configs and tokenizer: written last, so a folder with slicing_config.json is complete. */
  async finish(sourceFolder: string, slicing: SlicingConfigJson, extra: Record<string, unknown>): Promise<void> {
    const weightMap: Record<string, string> = {};
    let total = 0;
    const shardFiles = Array.from({ length: this.#shards }, (_, k) => this.shardName(k + 1));
    for (const f of shardFiles) if (!existsSync(join(this.out, f))) throw new Error(`shard ${f} was not written`);
    for (const f of shardFiles) {
      for (const t of (await readSafetensorsHeader(join(this.out, f))).tensors) {
        weightMap[t.name] = f;
        total += t.byteLength;
      }
    }
    const atomic = (name: string, text: string) => {
      const p = join(this.out, name);
      writeFileSync(`${p}.tmp`, text);
      renameSync(`${p}.tmp`, p);
    };
    atomic('model.safetensors.index.json', JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }, null, 2));
    await listModelTensors(this.out);
    for (const f of readdirSync(sourceFolder)) if (COPIED.test(f)) copyWritable(join(sourceFolder, f), join(this.out, f));
    // The original config.json byte for byte (hidden_size stays D: the norms divide by it).
    if (existsSync(join(sourceFolder, 'config.json'))) copyWritable(join(sourceFolder, 'config.json'), join(this.out, 'config.json'));
    else atomic('config.json', JSON.stringify(this.#config.raw, null, 2));
    // The format is the folder's, whatever `extra` says (a rewrite passes the old folder's record on).
    const tiedEmbedding = TIED_TENSORS.embedProjection in weightMap;
    if (tiedEmbedding !== `${TIED_TENSORS.headProjection}.weight` in weightMap) throw new Error('a tied embedding needs both projections');
    atomic(SLICE_STUDIO_JSON, JSON.stringify({ ...extra, format: SLICED_FORMAT, tiedEmbedding }, null, 2));
    atomic(SLICING_CONFIG, JSON.stringify(slicing, null, 2));
  }
}
