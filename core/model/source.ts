// A dense Hugging Face folder as a ModelSource: config.json + safetensors, read one tensor at a time
// (as float32) through the family's adapter. Opening validates everything that can be checked without
// reading weights — config, architecture, every tensor name — so a bad folder fails at once with a
// one-line message instead of halfway through a job.
import { open, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, parseConfig, type ModelConfig } from './config';
import { LIMITS, readJsonObject } from './input-file';
import { SafetensorsModel, SafetensorsError } from './safetensors';
import { archSpec } from './arch-spec';
import { family, type AdapterSpec, type LinearNames, type NormNames } from './families/index';
import type { ArchSpec, ModelSource, WidenHook } from './model-source';
import type { EmbeddingWeights, HeadNorms, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from './weights';
import { HeldTable } from './held-table';
import { widen16 } from './bf16-bits';

export class ModelFolderError extends Error {
  override name = 'ModelFolderError';
}

async function readConfig(folder: string): Promise<ModelConfig> {
  const st = await stat(folder).catch(() => null);
  if (!st?.isDirectory()) throw new ModelFolderError(`model folder not found: ${folder}`);
  const file = join(folder, 'config.json');
  if (!existsSync(file)) throw new ModelFolderError(`no config.json in ${folder} (not a Hugging Face model folder?)`);
  return parseConfig(await readJsonObject(file, LIMITS.config, ModelFolderError, `config.json in ${folder}`));
}

/** A linear's bits to a layer's widen hook, with the scale of the RMSNorm it reads (model-source.ts WidenHook). */
interface Widen {
  hook: WidenHook;
  reads?: Float32Array;
}

class DenseSource implements ModelSource {
  readonly config: ModelConfig;
  readonly arch: ArchSpec;
  readonly folder: string;
  readonly #st: SafetensorsModel;
  readonly #spec: AdapterSpec;
  readonly #tokens = new HeldTable();

  constructor(folder: string, config: ModelConfig, st: SafetensorsModel, spec: AdapterSpec) {
    this.folder = folder;
    this.config = config;
    this.arch = archSpec(config);
    this.#st = st;
    this.#spec = spec;
  }

  /** The stored name: as templated, or without the `model.` prefix (older OPT checkpoints). */
  resolve(name: string): string | null {
    if (this.#st.has(name)) return name;
    const bare = name.replace(/^model\./, '');
    return this.#st.has(bare) ? bare : null;
  }

  #need(name: string): string {
    const n = this.resolve(name);
    if (!n) throw new ModelFolderError(`tensor ${name} is missing from ${this.folder} (incomplete or not a ${this.config.family} checkpoint?)`);
    return n;
  }

  /**
   * Every tensor the adapter will read exists and has the shape config.json implies (headers only; no data is
   * read): a config of another model, or a checkpoint whose layers differ, fails when the model is opened,
   * not at the layer that reads the tensor, hours into a slice.
   */
  validate(): void {
    const s = this.#spec;
    const c = this.config;
    const D = c.hiddenSize;
    const [qOut, kvOut, F] = [c.numHeads * c.headDim, c.numKvHeads * c.headDim, c.intermediateSize];
    // what config.json implies per layer key: [rows, cols] (rows of the whole tensor for a fused part) or [length]
    const shapes: Record<string, number[]> = { attnNorm: [D], mlpNorm: [D], norm: [D], q: [qOut, D], k: [kvOut, D], v: [kvOut, D], o: [D, qOut], gate: [F, D], up: [F, D], down: [D, F], qNorm: [c.headDim], kNorm: [c.headDim] };
    const why = `hidden_size ${D}, ${c.numHeads} heads and ${c.numKvHeads} KV heads of ${c.headDim}, intermediate_size ${F}`;
    const expect = (name: string, want: (number | null)[]) => {
      const n = this.#need(name);
      const got = this.#st.info(n).shape;
      if (got.length !== want.length || want.some((w, k) => w !== null && w !== got[k]))
        throw new ModelFolderError(`config.json and the weights disagree: ${n} is [${got.join(', ')}], the config implies [${want.map((w) => w ?? '…').join(', ')}] (${why})`);
    };
    expect(s.tokens, [null, D]);
    if (s.positions) expect(s.positions, [null, D]);
    for (let i = 0; i < c.numLayers; i++) {
      for (const [key, v] of Object.entries(s.layer)) {
        if (key === 'kind') continue;
        const item = v as LinearNames | NormNames;
        const p = item.p.replaceAll('{i}', String(i));
        const want = shapes[key];
        const fused = 'fused' in item ? item.fused : undefined;
        const weight = want ? (fused ? [fused.total, ...want.slice(1)] : want) : null;
        if (weight) expect(`${p}.weight`, weight);
        else this.#need(`${p}.weight`);
        const rows = weight ? weight[0] : null;
        if ('bias' in item && item.bias) expect(`${p}.bias`, [rows]);
        if (c.norm === 'layernorm' && !('bias' in item)) expect(`${p}.bias`, [rows]);
      }
    }
    expect(`${s.finalNorm.p}.weight`, [D]);
    if (this.resolve(`${s.lm.p}.weight`)) expect(`${s.lm.p}.weight`, [null, D]);
    else if (!c.tieWordEmbeddings) throw new ModelFolderError(`tensor ${s.lm.p}.weight is missing from ${this.folder} and the config does not tie it to the embeddings`);
  }

  /**
   * One tensor as float32. F32 data is read straight into the result (no staging copy): streaming
   * peak memory is set by how much garbage a layer leaves behind, so halving it matters.
   */
  async #read(name: string, widen?: Widen): Promise<Float32Array> {
    const t = this.#st.info(name);
    const { dtype } = t;
    if (dtype !== 'F32' && dtype !== 'BF16' && dtype !== 'F16') return this.#st.read(name);
    // Read straight into a buffer of its own (little-endian hosts: every platform Node ships on).
    const buf = (await this.#bytes(name, t)).buffer;
    if (dtype === 'F32') return new Float32Array(buf);
    // 16-bit floats: the read, off the main thread, touched these pages first; widened from them (bfloat16 bits stay
    // remembered with the values, model/bf16-bits.ts), or handed to the layer's widen hook (which may transfer them).
    const bits = new Uint16Array(buf);
    return widen ? widen.hook(bits, dtype, widen.reads) : widen16(bits, dtype);
  }

  async #bytes(name: string, t: { file: string; offset: number; byteLength: number }): Promise<Uint8Array> {
    const bytes = new Uint8Array(t.byteLength);
    const fh = await open(t.file, 'r');
    try {
      const { bytesRead } = await fh.read(bytes, 0, t.byteLength, t.offset);
      if (bytesRead !== t.byteLength) throw new ModelFolderError(`short read of ${name}: ${bytesRead}/${t.byteLength} bytes (truncated file?)`);
    } finally {
      await fh.close();
    }
    return bytes;
  }

  async #vec(name: string, len: number): Promise<Float32Array> {
    const n = this.#need(name);
    const shape = this.#st.info(n).shape;
    if (shape.length !== 1 || shape[0] !== len) throw new ModelFolderError(`tensor ${n} has shape [${shape}], expected [${len}]`);
    return this.#read(n);
  }

  async #matrix(name: string, rows?: number, cols?: number, widen?: Widen): Promise<Matrix> {
    const n = this.#need(name);
    const shape = this.#st.info(n).shape;
    if (shape.length !== 2 || (rows !== undefined && shape[0] !== rows) || (cols !== undefined && shape[1] !== cols)) throw new ModelFolderError(`tensor ${n} has shape [${shape}], expected [${rows ?? '?'}, ${cols ?? '?'}]`);
    return { rows: shape[0], cols: shape[1], data: await this.#read(n, widen) };
  }

  /**
   * `fused` holds this layer's fused tensors (Phi-3's qkv_proj, gate_up_proj) as read: each is read once per
   * layer and its parts are row-range views of it, not copies (every consumer honours a view's byteOffset).
   */
  async #linear(l: LinearNames, i: number, out: number | undefined, inW: number | undefined, fused?: Map<string, Promise<Matrix>>, widen?: Widen): Promise<Linear> {
    const p = l.p.replaceAll('{i}', String(i));
    const f = l.fused;
    if (f && out !== undefined && f.end - f.start !== out) throw new ModelFolderError(`${p}: rows ${f.start}…${f.end} hold ${f.end - f.start} outputs, expected ${out}`);
    const name = `${p}.weight`;
    let read = fused?.get(name);
    if (!read) {
      // (A tensor split into parts, and a linear with a bias, are widened here: the hook's fold is the bias-free one.)
      const hand = widen && !f ? { hook: widen.hook, reads: l.bias || this.resolve(`${p}.bias`) ? undefined : widen.reads } : undefined;
      read = this.#matrix(name, f ? f.total : out, inW, hand);
      if (f) fused?.set(name, read);
    }
    const whole = await read;
    const weight = f ? { rows: f.end - f.start, cols: whole.cols, data: whole.data.subarray(f.start * whole.cols, f.end * whole.cols) } : whole;
    const lin: Linear = { weight };
    if (l.bias || this.resolve(`${p}.bias`)) lin.bias = await this.#vec(`${p}.bias`, weight.rows);
    return lin;
  }

  async #norm(n: NormNames, i: number): Promise<NormSpec> {
    const p = n.p.replaceAll('{i}', String(i));
    const c = this.config;
    const D = c.hiddenSize;
    if (c.norm === 'layernorm') return { kind: 'layernorm', eps: c.normEps, weight: await this.#vec(`${p}.weight`, D), bias: await this.#vec(`${p}.bias`, D) };
    return { kind: 'rmsnorm', eps: c.normEps, divisor: D, weight: await this.#vec(`${p}.weight`, D) };
  }

  async #headNorms(q: NormNames, k: NormNames, i: number): Promise<HeadNorms> {
    const at = (n: NormNames) => `${n.p.replaceAll('{i}', String(i))}.weight`;
    const d = this.config.headDim;
    return { eps: this.config.normEps, q: await this.#vec(at(q), d), k: await this.#vec(at(k), d) };
  }

  #tokenTable(): Promise<Matrix> {
    return this.#tokens.get(() => this.#matrix(this.#spec.tokens, undefined, this.config.hiddenSize));
  }

  async embedding(): Promise<EmbeddingWeights> {
    const c = this.config;
    const e: EmbeddingWeights = { tokens: await this.#tokenTable() };
    if (this.#spec.positions) {
      e.positions = await this.#matrix(this.#spec.positions, undefined, c.hiddenSize);
      e.positionOffset = c.positionOffset;
    }
    return e;
  }

  async layer(i: number, o: { turn?: () => Promise<void>; widen?: WidenHook } = {}): Promise<LayerWeights> {
    const c = this.config;
    if (!Number.isInteger(i) || i < 0 || i >= c.numLayers) throw new ModelFolderError(`layer ${i} does not exist (the model has ${c.numLayers})`);
    const s = this.#spec.layer;
    const D = c.hiddenSize;
    const qOut = c.numHeads * c.headDim;
    const kvOut = c.numKvHeads * c.headDim;
    const F = c.intermediateSize;
    const fused = new Map<string, Promise<Matrix>>();
    // With a widen hook every read is started at once (the hook's workers take the layer's linears side by side),
    // each reader's norm first; without one, one tensor after another, as they are awaited.
    const eager = o.widen !== undefined;
    const start = <T>(f: () => Promise<T>): (() => Promise<T>) => {
      if (!eager) return f;
      const p = f();
      p.catch(() => {}); // (awaited below; a failure surfaces there)
      return () => p;
    };
    const rms = c.norm === 'rmsnorm';
    const lin = (l: LinearNames, out: number, inW: number, norm?: () => Promise<NormSpec>) =>
      start(async () => {
        await o.turn?.();
        const n = o.widen && norm && rms ? await norm() : undefined;
        return this.#linear(l, i, out, inW, fused, o.widen && { hook: o.widen, reads: n?.kind === 'rmsnorm' ? n.weight : undefined });
      });
    if (s.kind === 'parallel') {
      const norm = start(() => this.#norm(s.norm, i));
      const [q, k, v, ao, up, down] = [lin(s.q, qOut, D, norm), lin(s.k, kvOut, D, norm), lin(s.v, kvOut, D, norm), lin(s.o, D, qOut), lin(s.up, F, D, norm), lin(s.down, D, F)];
      return {
        kind: 'parallel',
        block: {
          norm: await norm(),
          attn: { q: await q(), k: await k(), v: await v(), o: await ao() },
          mlp: { up: await up(), down: await down() },
        },
      };
    }
    const attnNorm = start(() => this.#norm(s.attnNorm, i));
    const [q, k, v, ao] = [lin(s.q, qOut, D, attnNorm), lin(s.k, kvOut, D, attnNorm), lin(s.v, kvOut, D, attnNorm), lin(s.o, D, qOut)];
    const qk = s.qNorm && s.kNorm ? start(() => this.#headNorms(s.qNorm!, s.kNorm!, i)) : undefined;
    const mlpNorm = start(() => this.#norm(s.mlpNorm, i));
    const [gate, up, down] = [s.gate ? lin(s.gate, F, D, mlpNorm) : undefined, lin(s.up, F, D, mlpNorm), lin(s.down, D, F)];
    return {
      kind: 'sequential',
      attn: {
        norm: await attnNorm(),
        q: await q(),
        k: await k(),
        v: await v(),
        o: await ao(),
        ...(qk ? { qkNorm: await qk() } : {}),
      },
      mlp: {
        norm: await mlpNorm(),
        ...(gate ? { gate: await gate() } : {}),
        up: await up(),
        down: await down(),
      },
    };
  }

  async head(): Promise<HeadWeights> {
    const c = this.config;
    const norm = await this.#norm(this.#spec.finalNorm, 0);
    const lmName = `${this.#spec.lm.p}.weight`;
    if (!this.resolve(lmName)) {
      // Tied: the embedding's own table (held-table.ts); slicing never writes into it, it makes new arrays.
      return { norm, lm: { weight: await this.#tokenTable() } };
    }
    return { norm, lm: await this.#linear(this.#spec.lm, 0, undefined, c.hiddenSize) };
  }
}

/** Open a dense Hugging Face model folder (config.json + model.safetensors or shards). */
export async function openModel(folder: string): Promise<ModelSource> {
  const config = await readConfig(folder);
  let st: SafetensorsModel;
  try {
    st = await SafetensorsModel.create(folder);
  } catch (e) {
    if (e instanceof SafetensorsError) throw new ModelFolderError(e.message);
    throw e;
  }
  const src = new DenseSource(folder, config, st, family(config.family).adapter(config));
  src.validate();
  return src;
}

export { ConfigError };
