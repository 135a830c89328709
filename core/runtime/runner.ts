// BlockRunner on onnxruntime-node. Design: weights are graph INPUTS, fed on every run, and one
// compiled session per graph signature (block kind + flags, see graphs/signature.ts) serves every
// layer and every width. Trade-off, versus weights as initializers in external-data files:
// + nothing is compiled per layer: a 32-layer model compiles ~4 sessions once, and SliceGPT can run
//   a block on freshly rotated weights without writing anything to disk;
// + on CPU a fed Float32Array is wrapped, not copied, so feeding costs nothing;
// − ORT cannot constant-fold or pre-pack weights (MatMul pre-packing is a few % on CPU), and on a GPU
//   EP each run uploads the block's weights again — fine for layer-major passes over many windows,
//   costly for token-by-token decoding.
// The other mode, `weights: 'initializers'`, bakes a block's weights into its graph as external-data
// initializers (model.onnx + weights.bin in a temp folder), compiles one session per block weights
// object, and releases it (and deletes the files) once `residentBlocks` newer blocks have been used:
// weights are uploaded once per layer instead of once per run — the mode for WebGPU passes with many
// batches per layer, or decoding with all layers resident.
import ort from 'onnxruntime-node';
import { mkdtempSync, rmSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArchSpec } from '../model/model-source';
import type { BlockRunner, ExecutionProvider, HeadOutput } from './contract';
import type { AttentionWeights, EmbeddingWeights, HeadWeights, Linear, MlpWeights, NormSpec, ParallelWeights } from '../model/weights';
import { headVocab } from '../model/weights';
import { buildGraph } from './graphs/index';
import { type BlockSig, type AttnCoreSig, type MlpCoreSig, attnSig, hasBias, mlpSig, normSig, sigKey } from './graphs/signature';
import { causalMask, ropeTables } from './rope';
import { DeviceTensors, releaseTensor } from './device';
import { executionProviders } from './ep-options';
import { firstNonFinite, NonFiniteError } from '../model/non-finite';

type Feeds = Record<string, ort.Tensor>;

export class RuntimeError extends Error {
  override name = 'RuntimeError';
}

/** KV cache of one layer: [batch, kvHeads, past, headDim] each. */
export interface KvCache {
  k: Float32Array;
  v: Float32Array;
  past: number;
}

export interface RunnerOptions {
  ep?: ExecutionProvider;
  /** Most logits one head run may hold (rows are chunked to stay under it). Default 2^26 floats (256 MB). */
  maxLogits?: number;
  /** 'inputs' (default): weights fed per run. 'initializers': baked per block, see above. */
  weights?: 'inputs' | 'initializers';
  /** Initializer mode: how many block sessions stay compiled (least recently used goes first). Default 2. */
  residentBlocks?: number;
  /**
   * Device-resident mode (SliceGPT's calibration passes on a GPU EP): block outputs stay on the device
   * (the *Tensor methods return them unread), every 2-D weight is uploaded once and reused until
   * releaseUploads(), and linear weights are uploaded transposed for MatMul (see graphs/primitives.ts).
   * No effect on the CPU EP, where host tensors already are the device — unless 'always', which runs
   * the same code path on the CPU (tests of the device engine on machines without a GPU).
   */
  resident?: boolean | 'always';
  /**
   * Resident mode: the element type of the calibration passes' activations, linear weights and
   * shortcuts ('f16': float16 graphs, see graphs/primitives.ts). Default 'f32'.
   */
  passDtype?: PassDtype;
}

export type PassDtype = 'f16' | 'f32';

/** Feeds that change per run; everything else fed to a block is a weight. */
const RUNTIME_FEEDS = new Set(['x', 'ids', 'position_ids', 'cos', 'sin', 'mask', 'past_k', 'past_v', 'targets']);

interface BakedSession {
  session: Promise<ort.InferenceSession>;
  dir: string;
}

const t32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);

function feedNorm(f: Feeds, n: NormSpec, width: number, p = 'norm'): void {
  if (n.kind === 'layernorm') {
    f[`${p}.weight`] = t32(n.weight, [n.weight.length]);
    f[`${p}.bias`] = t32(n.bias, [n.bias.length]);
  } else if (n.weight) f[`${p}.weight`] = t32(n.weight, [n.weight.length]);
  const w = n.kind === 'layernorm' ? n.weight.length : n.weight?.length ?? width;
  if (w !== width) throw new RuntimeError(`norm ${p} has width ${w} but its input has width ${width}`);
}

function feedLinear(f: Feeds, p: string, l: Linear | undefined, inWidth: number): number {
  if (!l) throw new RuntimeError(`missing weights for ${p}`);
  const { rows, cols, data } = l.weight;
  if (cols !== inWidth) throw new RuntimeError(`${p}: weight is ${rows}×${cols} but its input has width ${inWidth}`);
  if (data.length !== rows * cols) throw new RuntimeError(`${p}: weight data has ${data.length} values, expected ${rows}×${cols}`);
  f[`${p}.weight`] = t32(data, [rows, cols]);
  if (l.bias) f[`${p}.bias`] = t32(l.bias, [l.bias.length]);
  return rows;
}

function widthOf(x: Float32Array, batch: number, seq: number): number {
  const w = x.length / (batch * seq);
  if (!Number.isInteger(w) || w === 0) throw new RuntimeError(`activations of length ${x.length} do not split into ${batch}×${seq} rows`);
  return w;
}

class OrtBlockRunner implements BlockRunner {
  readonly ep: ExecutionProvider;
  readonly arch: ArchSpec;
  readonly #maxLogits: number;
  readonly #sessions = new Map<string, Promise<ort.InferenceSession>>();
  readonly #tables = new Map<string, { cos: ort.Tensor; sin: ort.Tensor; mask: ort.Tensor }>();
  readonly #bake: boolean;
  readonly #resident: number;
  /** Initializer mode: (weights object, signature) → session, in least-recently-used order. */
  readonly #baked = new Map<string, BakedSession>();
  readonly #ownerIds = new WeakMap<object, number>();
  #nextOwner = 0;
  /** Resident mode on a device EP: the upload/download sessions, and each weight array's upload. */
  readonly #device: DeviceTensors | null;
  readonly #uploads = new Map<Float32Array, Map<string, Promise<ort.Tensor>>>();
  /** Resident mode with float16 passes. */
  readonly #half: boolean;

  constructor(arch: ArchSpec, opts: RunnerOptions) {
    this.arch = arch;
    this.ep = opts.ep ?? 'cpu';
    this.#maxLogits = opts.maxLogits ?? 2 ** 26;
    this.#bake = opts.weights === 'initializers';
    this.#resident = Math.max(1, opts.residentBlocks ?? 2);
    this.#device = opts.resident === 'always' || (opts.resident && this.ep !== 'cpu') ? new DeviceTensors(this.ep) : null;
    this.#half = this.#device !== null && opts.passDtype === 'f16';
    if (arch.numHeads % arch.numKvHeads !== 0) throw new RuntimeError(`${arch.numHeads} heads do not split into ${arch.numKvHeads} KV groups`);
    if (arch.rope && arch.rope.rotaryDim % 2 !== 0) throw new RuntimeError(`rotary dimension ${arch.rope.rotaryDim} is odd`);
  }

  /** Sessions compiled so far (each signature once). */
  get sessionCount(): number {
    return this.#sessions.size + this.#baked.size;
  }

  #session(sig: BlockSig): Promise<ort.InferenceSession> {
    const key = sigKey(sig);
    let s = this.#sessions.get(key);
    if (!s) {
      const g = buildGraph(sig);
      const keepOnDevice = this.#device?.onDevice && sig.kind !== 'head' && !('cache' in sig && sig.cache);
      s = ort.InferenceSession.create(g.toBytes(), {
        executionProviders: executionProviders(this.ep, { passes: this.#device !== null }),
        graphOptimizationLevel: 'all',
        ...(keepOnDevice ? { preferredOutputLocation: { y: 'gpu-buffer' as const } } : {}),
      });
      s.catch(() => this.#sessions.delete(key));
      this.#sessions.set(key, s);
    }
    return s;
  }

  async #run(sig: BlockSig, feeds: Feeds, owner?: object): Promise<ort.InferenceSession.OnnxValueMapType> {
    if (this.#device) {
      const half = this.#half && sig.kind !== 'head' && !('cache' in sig && sig.cache);
      const f = await this.#uploaded(sig, feeds, half);
      // Host activations (spilled chunks) enter a float16 graph rounded on the device.
      if (half && f.x && f.x.type === 'float32') f.x = await this.#device.toHalf(f.x);
      return (await this.#session(half ? { ...sig, half: true } : sig)).run(f);
    }
    if (!this.#bake || !owner) return (await this.#session(sig)).run(feeds);
    const runtime: Feeds = {};
    for (const [k, v] of Object.entries(feeds)) if (RUNTIME_FEEDS.has(k)) runtime[k] = v;
    return (await this.#bakedSession(sig, feeds, owner)).run(runtime);
  }

  /**
   * Resident mode: every 2-D float host feed but the activations (weights, shortcut, RoPE tables,
   * mask) replaced by its device copy, uploaded on first use (or adopted, see adopt()); linear weights
   * transposed when the graph multiplies in × out weights; linear weights and the shortcut rounded
   * to float16 for a `half` graph (the embedding tables, RoPE tables and mask stay float32).
   */
  async #uploaded(sig: BlockSig, feeds: Feeds, half: boolean): Promise<Feeds> {
    const block = sig.kind === 'attention' || sig.kind === 'mlp' || sig.kind === 'parallel';
    const out: Feeds = {};
    for (const [name, t] of Object.entries(feeds)) {
      if (name === 'x' || t.location !== 'cpu' || t.type !== 'float32' || t.dims.length !== 2) {
        out[name] = t;
        continue;
      }
      const transpose = block && name.endsWith('.weight');
      out[name] = await this.#upload(t.data as Float32Array, t.dims[0], t.dims[1], transpose, half && (transpose || (block && name === 'shortcut')));
    }
    return out;
  }

  #upload(data: Float32Array, rows: number, cols: number, transpose: boolean, half: boolean): Promise<ort.Tensor> {
    let byLayout = this.#uploads.get(data);
    if (!byLayout) this.#uploads.set(data, (byLayout = new Map()));
    const layout = `${transpose ? 'T' : ''}${half ? 'h' : ''}`;
    let up = byLayout.get(layout);
    if (!up) {
      up = this.#device!.upload(data, rows, cols, transpose, half);
      byLayout.set(layout, up);
    }
    return up;
  }

  /**
   * Resident mode: `pass` is what a block graph needs for the host weight `data` (a linear weight's
   * in×out copy, or a shortcut as is, in the passes' element type), already on the device — the
   * weight products of the device engine make both at once, so nothing is uploaded again.
   */
  adopt(data: Float32Array, pass: ort.Tensor, kind: 'weight' | 'shortcut'): void {
    if (!this.#device) throw new RuntimeError('adopt() needs a resident runner');
    let byLayout = this.#uploads.get(data);
    if (!byLayout) this.#uploads.set(data, (byLayout = new Map()));
    byLayout.set(`${kind === 'weight' ? 'T' : ''}${this.#half ? 'h' : ''}`, Promise.resolve(pass));
  }

  /** Resident mode: whether the passes run float16 graphs. */
  get half(): boolean {
    return this.#half;
  }

  /** Resident mode: free every uploaded weight (call when a layer's weights are done with). */
  async releaseUploads(): Promise<void> {
    const all = [...this.#uploads.values()].flatMap((m) => [...m.values()]);
    this.#uploads.clear();
    for (const u of all) releaseTensor(await u);
  }

  /** Resident mode's device helpers (null otherwise). */
  get device(): DeviceTensors | null {
    return this.#device;
  }

  /** A block output on the host, downloaded if it stayed on the device. */
  async #host(t: ort.Tensor): Promise<Float32Array> {
    if (t.location === 'cpu') return t.data as Float32Array;
    const x = await this.#device!.download(t);
    releaseTensor(t);
    return x;
  }

  /** Compile (once per weights object) a graph with these weights as external-data initializers. */
  #bakedSession(sig: BlockSig, feeds: Feeds, owner: object): Promise<ort.InferenceSession> {
    let id = this.#ownerIds.get(owner);
    if (id === undefined) this.#ownerIds.set(owner, (id = this.#nextOwner++));
    const key = `${id}:${sigKey(sig)}`;
    let b = this.#baked.get(key);
    if (b) {
      this.#baked.delete(key); // re-insert: most recently used last
      this.#baked.set(key, b);
      return b.session;
    }
    const g = buildGraph(sig);
    for (const name of g.inputNames) {
      if (RUNTIME_FEEDS.has(name)) continue;
      const t = feeds[name];
      if (!t) throw new RuntimeError(`no weights for graph input ${name}`);
      g.bindInput(name, t.dims as number[], t.data as Float32Array);
    }
    const dir = mkdtempSync(join(tmpdir(), 'slice-block-'));
    const { model, chunks } = g.toExternal('weights.bin');
    const fd = openSync(join(dir, 'weights.bin'), 'w');
    try {
      for (const c of chunks) writeSync(fd, c.bytes, 0, c.bytes.byteLength, c.offset);
    } finally {
      closeSync(fd);
    }
    writeFileSync(join(dir, 'model.onnx'), model);
    const session = ort.InferenceSession.create(join(dir, 'model.onnx'), { executionProviders: executionProviders(this.ep), graphOptimizationLevel: 'all' });
    b = { session, dir };
    this.#baked.set(key, b);
    while (this.#baked.size > this.#resident) {
      const [k, old] = this.#baked.entries().next().value!;
      this.#baked.delete(k);
      void this.#releaseBaked(old);
    }
    return session;
  }

  async #releaseBaked(b: BakedSession): Promise<void> {
    await (await b.session.catch(() => null))?.release();
    rmSync(b.dir, { recursive: true, force: true });
  }

  /** RoPE tables and causal mask for `seq` new positions after `past` cached ones. */
  #positional(past: number, seq: number, f: Feeds): void {
    const key = `${past}:${seq}`;
    let t = this.#tables.get(key);
    if (!t) {
      const rd = this.arch.rope?.rotaryDim ?? 0;
      const r = this.arch.rope ? ropeTables(this.arch.rope.theta, rd, past, seq) : { cos: new Float32Array(0), sin: new Float32Array(0) };
      t = { cos: t32(r.cos, [seq, rd / 2]), sin: t32(r.sin, [seq, rd / 2]), mask: t32(causalMask(past, seq), [seq, past + seq]) };
      // Decoding makes a new entry per token: keep the cache small.
      if (this.#tables.size > 64) this.#tables.clear();
      this.#tables.set(key, t);
    }
    if (this.arch.rope) {
      f.cos = t.cos;
      f.sin = t.sin;
    }
    f.mask = t.mask;
  }

  // Resident mode feeds linear weights transposed (in × out) for MatMul.
  #attnSig(w: Omit<AttentionWeights, 'norm' | 'shortcut'>): AttnCoreSig {
    return attnSig(this.arch, w, this.#device !== null);
  }

  #mlpSig(w: Omit<MlpWeights, 'norm' | 'shortcut'>): MlpCoreSig {
    return mlpSig(this.arch, w, this.#device !== null);
  }

  #feedAttn(f: Feeds, w: Omit<AttentionWeights, 'norm' | 'shortcut'>, width: number): number {
    const { numHeads: H, numKvHeads: Hkv, headDim: d } = this.arch;
    const q = feedLinear(f, 'q', w.q, width);
    const k = feedLinear(f, 'k', w.k, width);
    const v = feedLinear(f, 'v', w.v, width);
    if (q !== H * d || k !== Hkv * d || v !== Hkv * d)
      throw new RuntimeError(`attention projections give ${q}/${k}/${v} features, expected ${H * d}/${Hkv * d}/${Hkv * d}`);
    return feedLinear(f, 'o', w.o, H * d);
  }

  #feedMlp(f: Feeds, w: Omit<MlpWeights, 'norm' | 'shortcut'>, width: number): number {
    const up = feedLinear(f, 'up', w.up, width);
    if (w.gate && feedLinear(f, 'gate', w.gate, width) !== up) throw new RuntimeError('MLP gate and up projections differ in width');
    return feedLinear(f, 'down', w.down, up);
  }

  #feedShortcut(f: Feeds, s: { rows: number; cols: number; data: Float32Array } | undefined, width: number, out: number): void {
    if (s) {
      if (s.rows !== width || s.cols !== out) throw new RuntimeError(`shortcut is ${s.rows}×${s.cols}, expected ${width}×${out}`);
      f.shortcut = t32(s.data, [s.rows, s.cols]);
    } else if (width !== out) throw new RuntimeError(`block maps width ${width} to ${out} but has no shortcut matrix`);
  }

  async embed(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number): Promise<Float32Array> {
    return this.embedAt(w, ids, batch, seq, 0);
  }

  /** Embed ids that sit at positions start … start+seq−1 (decoding). */
  async embedAt(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number, start: number): Promise<Float32Array> {
    return this.#host(await this.#embedRun(w, ids, batch, seq, start));
  }

  /** Resident mode: the embeddings as a [batch, seq, D] tensor left where the EP put it. */
  embedTensor(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number): Promise<ort.Tensor> {
    return this.#embedRun(w, ids, batch, seq, 0);
  }

  async #embedRun(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number, start: number): Promise<ort.Tensor> {
    if (ids.length !== batch * seq) throw new RuntimeError(`${ids.length} ids do not form ${batch}×${seq}`);
    const vocab = w.tokens.rows;
    for (const id of ids) if (id < 0 || id >= vocab) throw new RuntimeError(`token id ${id} is outside the vocabulary (0…${vocab - 1})`);
    const f: Feeds = { ids: new ort.Tensor('int32', ids, [batch, seq]), tokens: t32(w.tokens.data, [w.tokens.rows, w.tokens.cols]) };
    if (w.projection) {
      if (w.projection.rows !== w.tokens.cols) throw new RuntimeError(`embedding projection is ${w.projection.rows}×${w.projection.cols} for a table of width ${w.tokens.cols}`);
      f.projection = t32(w.projection.data, [w.projection.rows, w.projection.cols]);
    }
    if (w.positions) {
      const off = w.positionOffset ?? 0;
      if (start + seq + off > w.positions.rows) throw new RuntimeError(`sequence of ${start + seq} tokens exceeds the ${w.positions.rows - off} learned positions`);
      f.position_ids = new ort.Tensor('int32', Int32Array.from({ length: seq }, (_, i) => start + i), [seq]);
      f.positions = t32(w.positions.data, [w.positions.rows, w.positions.cols]);
    }
    const r = await this.#run({ kind: 'embed', positions: !!w.positions, offset: w.positionOffset ?? 0, ...(w.projection ? { projection: true as const } : {}) }, f, w);
    return r.y;
  }

  /** The activations feed: a host array wrapped, or a [batch, seq, width] tensor (possibly on the device). */
  #x(x: Float32Array | ort.Tensor, batch: number, seq: number): { t: ort.Tensor; width: number } {
    if (x instanceof Float32Array) {
      const width = widthOf(x, batch, seq);
      return { t: t32(x, [batch, seq, width]), width };
    }
    if (x.dims.length !== 3 || x.dims[0] !== batch || x.dims[1] !== seq) throw new RuntimeError(`activations of shape ${x.dims.join('×')} are not [${batch}, ${seq}, width]`);
    return { t: x, width: x.dims[2] };
  }

  /** Resident mode: attention on a host or device tensor; the output stays on the device. */
  async attentionTensor(w: AttentionWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor> {
    return (await this.#attentionRun(w, x, batch, seq)).r.y;
  }

  /** Resident mode: the MLP block on a host or device tensor; the output stays on the device. */
  async mlpTensor(w: MlpWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor> {
    return this.#mlpRun(w, x, batch, seq);
  }

  /** Resident mode: a parallel block on a host or device tensor; the output stays on the device. */
  async parallelTensor(w: ParallelWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor> {
    return (await this.#parallelRun(w, x, batch, seq)).r.y;
  }

  attention(w: AttentionWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array> {
    return this.attentionCached(w, x, batch, seq).then((r) => r.y);
  }

  /** Attention with a KV cache: `cache` holds past keys/values; returns the extended cache. */
  async attentionCached(w: AttentionWeights, x: Float32Array, batch: number, seq: number, cache?: KvCache): Promise<{ y: Float32Array; cache?: KvCache }> {
    const { r, withCache } = await this.#attentionRun(w, x, batch, seq, cache);
    return { y: await this.#host(r.y), cache: withCache ? this.#present(r, cache, seq) : undefined };
  }

  async #attentionRun(w: AttentionWeights, x: Float32Array | ort.Tensor, batch: number, seq: number, cache?: KvCache) {
    const { t, width } = this.#x(x, batch, seq);
    const f: Feeds = { x: t };
    feedNorm(f, w.norm, width);
    const out = this.#feedAttn(f, w, width);
    this.#feedShortcut(f, w.shortcut, width, out);
    const withCache = this.#feedCache(f, batch, cache);
    this.#positional(cache?.past ?? 0, seq, f);
    const r = await this.#run({ kind: 'attention', norm: normSig(w.norm), attn: this.#attnSig(w), shortcut: !!w.shortcut, cache: withCache }, f, w);
    return { r, withCache };
  }

  async mlp(w: MlpWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array> {
    return this.#host(await this.#mlpRun(w, x, batch, seq));
  }

  async #mlpRun(w: MlpWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor> {
    const { t, width } = this.#x(x, batch, seq);
    const f: Feeds = { x: t };
    feedNorm(f, w.norm, width);
    const out = this.#feedMlp(f, w, width);
    this.#feedShortcut(f, w.shortcut, width, out);
    const r = await this.#run({ kind: 'mlp', norm: normSig(w.norm), mlp: this.#mlpSig(w), shortcut: !!w.shortcut }, f, w);
    return r.y;
  }

  parallel(w: ParallelWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array> {
    return this.parallelCached(w, x, batch, seq).then((r) => r.y);
  }

  async parallelCached(w: ParallelWeights, x: Float32Array, batch: number, seq: number, cache?: KvCache): Promise<{ y: Float32Array; cache?: KvCache }> {
    const { r, withCache } = await this.#parallelRun(w, x, batch, seq, cache);
    return { y: await this.#host(r.y), cache: withCache ? this.#present(r, cache, seq) : undefined };
  }

  async #parallelRun(w: ParallelWeights, x: Float32Array | ort.Tensor, batch: number, seq: number, cache?: KvCache) {
    const { t, width } = this.#x(x, batch, seq);
    const f: Feeds = { x: t };
    feedNorm(f, w.norm, width);
    const out = this.#feedAttn(f, w.attn, width);
    if (this.#feedMlp(f, w.mlp, width) !== out) throw new RuntimeError('parallel block: attention and MLP outputs differ in width');
    this.#feedShortcut(f, w.shortcut, width, out);
    const withCache = this.#feedCache(f, batch, cache);
    this.#positional(cache?.past ?? 0, seq, f);
    const sig: BlockSig = { kind: 'parallel', norm: normSig(w.norm), attn: this.#attnSig(w.attn), mlp: this.#mlpSig(w.mlp), shortcut: !!w.shortcut, cache: withCache };
    const r = await this.#run(sig, f, w);
    return { r, withCache };
  }

  /** `cache` undefined: no cache graph. An empty cache (past 0) starts one (prefill). */
  #feedCache(f: Feeds, batch: number, cache: KvCache | undefined): boolean {
    if (!cache) return false;
    const { numKvHeads: Hkv, headDim: d } = this.arch;
    f.past_k = t32(cache.k, [batch, Hkv, cache.past, d]);
    f.past_v = t32(cache.v, [batch, Hkv, cache.past, d]);
    return true;
  }

  #present(r: ort.InferenceSession.OnnxValueMapType, cache: KvCache | undefined, seq: number): KvCache {
    return { k: r.present_k.data as Float32Array, v: r.present_v.data as Float32Array, past: (cache?.past ?? 0) + seq };
  }

  async head(w: HeadWeights, x: Float32Array, batch: number, seq: number, opts: { targets?: Int32Array; logits?: boolean }): Promise<HeadOutput> {
    const width = widthOf(x, batch, seq);
    const n = batch * seq;
    const vocab = headVocab(w);
    if (w.vocab && w.vocab.cols !== w.lm.weight.rows) throw new RuntimeError(`head projection gives width ${w.lm.weight.rows} for a ${w.vocab.rows}×${w.vocab.cols} vocabulary table`);
    if (opts.targets && opts.targets.length !== n) throw new RuntimeError(`${opts.targets.length} targets for ${n} positions`);
    const sig: BlockSig = { kind: 'head', norm: normSig(w.norm), bias: hasBias(w.lm), logits: !!opts.logits, targets: !!opts.targets, ...(w.vocab ? { vocab: true as const } : {}) };
    const out: HeadOutput = { logsumexp: new Float32Array(n) };
    if (opts.targets) out.nll = new Float32Array(n);
    if (opts.logits) out.logits = new Float32Array(n * vocab);
    // Rows are independent here, so bound the [rows, vocab] logits a run materializes.
    const step = Math.max(1, Math.floor(this.#maxLogits / vocab));
    for (let r0 = 0; r0 < n; r0 += step) {
      const rows = Math.min(step, n - r0);
      const f: Feeds = { x: t32(x.subarray(r0 * width, (r0 + rows) * width), [1, rows, width]) };
      feedNorm(f, w.norm, width);
      feedLinear(f, 'lm', w.lm, width);
      if (w.vocab) f.vocab = t32(w.vocab.data, [w.vocab.rows, w.vocab.cols]);
      if (opts.targets) {
        const t = new Int32Array(rows);
        for (let i = 0; i < rows; i++) {
          const v = opts.targets[r0 + i];
          if (v >= vocab) throw new RuntimeError(`target ${v} is outside the vocabulary (0…${vocab - 1})`);
          t[i] = v < 0 ? 0 : v;
        }
        f.targets = new ort.Tensor('int32', t, [rows]);
      }
      const r = await this.#run(sig, f, w);
      const lse = r.logsumexp.data as Float32Array;
      // NaN/Inf logits (bad weights) would otherwise surface as a perplexity of NaN or an argmax of 0.
      if (firstNonFinite(lse) >= 0) throw new NonFiniteError('the model computed non-finite logits (NaN or Inf)');
      out.logsumexp!.set(lse, r0);
      if (opts.targets) {
        const nll = r.nll.data as Float32Array;
        for (let i = 0; i < rows; i++) out.nll![r0 + i] = opts.targets[r0 + i] < 0 ? NaN : nll[i];
      }
      if (opts.logits) out.logits!.set(r.logits.data as Float32Array, r0 * vocab);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.releaseUploads();
    await this.#device?.dispose();
    const all = [...this.#sessions.values()];
    const baked = [...this.#baked.values()];
    this.#sessions.clear();
    this.#baked.clear();
    this.#tables.clear();
    for (const b of baked) await this.#releaseBaked(b);
    for (const s of all) await (await s.catch(() => null))?.release();
  }
}


export type OrtRunner = OrtBlockRunner;

export async function createBlockRunner(arch: ArchSpec, opts: RunnerOptions = {}): Promise<OrtBlockRunner> {
  return new OrtBlockRunner(arch, opts);
}
