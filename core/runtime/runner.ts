// BlockRunner on onnxruntime-node. Design: weights are graph INPUTS, fed on every run, and one
// compiled session per graph signature (block kind + flags, see graphs/signature.ts) serves every
// layer and every width. Trade-off, versus weights as initializers in external-data files:
// + nothing is compiled per layer: a 32-layer model compiles ~4 sessions once, and SliceGPT can run
//   a block on freshly rotated weights without writing anything to disk;
// + on CPU a fed Float32Array is wrapped, not copied, so feeding costs nothing;
// − ORT cannot constant-fold or pre-pack weights (MatMul pre-packing is a few % on CPU), and on a GPU
//   EP each run uploads the block's weights again — fine for layer-major passes over many windows,
//   costly for token-by-token decoding.
// Two other weight modes live in their own files and only change how a run's feeds reach ORT:
// baked-blocks.ts (`weights: 'initializers'`: weights baked per block, uploaded once per layer — for
// WebGPU passes with many batches per layer, or decoding with all layers resident) and
// resident-weights.ts (`resident`: every weight uploaded once, outputs left on the device). This file
// is the shared core: argument checks and feeds (block-feeds.ts), positional tables, and one #run that
// picks the mode.
import ort from 'onnxruntime-node';
import type { ArchSpec } from '../model/model-source';
import type { BlockRunner, ExecutionProvider, HeadOutput } from './contract';
import type { AttentionWeights, EmbeddingWeights, HeadWeights, MlpWeights, ParallelWeights } from '../model/weights';
import { headVocab } from '../model/weights';
import { buildGraph } from './graphs/index';
import { type BlockSig, type AttnCoreSig, type MlpCoreSig, hasBias, attnSig, mlpSig, normSig, sigKey } from './graphs/signature';
import { causalMask, ropeTables } from './rope';
import { DeviceTensors, releaseTensor } from './device';
import { executionProviders } from './ep-options';
import { firstNonFinite, NonFiniteError } from '../model/non-finite';
import { type Feeds, type KvCache, RuntimeError, t32, feedNorm, feedLinear, widthOf, feedAttn, feedMlp, feedShortcut, feedCache, feedX, feedTargets } from './block-feeds';
import { BakedBlocks } from './baked-blocks';
import { ResidentWeights } from './resident-weights';
import { countRun } from './transfer-count';
import { profileOptions, releaseSession } from './ort-profile';
import { widened } from '../model/lazy-half';

export { RuntimeError, type KvCache } from './block-feeds';

export interface RunnerOptions {
  ep?: ExecutionProvider;
  /** Most logits one head run may hold (rows are chunked to stay under it). Default 2^26 floats (256 MB). */
  maxLogits?: number;
  /** 'inputs' (default): weights fed per run. 'initializers': baked per block, see baked-blocks.ts. */
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
  /**
   * Resident decoding (generation, perplexity, the speed bench on a GPU EP; needs `resident`): the KV-cache
   * graphs too leave their outputs (activations, present_k/present_v) on the device, run in `passDtype`,
   * and the cache is fed back from there; ORT's default buffer cache, since every cache length is a new size.
   */
  decoding?: boolean;
}

export type PassDtype = 'f16' | 'f32';

class OrtBlockRunner implements BlockRunner {
  readonly ep: ExecutionProvider;
  readonly arch: ArchSpec;
  readonly #maxLogits: number;
  /** Fed mode: one session per graph signature (resident mode compiles through here too). */
  readonly #sessions = new Map<string, Promise<ort.InferenceSession>>();
  readonly #tables = new Map<string, { cos: ort.Tensor; sin: ort.Tensor; mask: ort.Tensor }>();
  /** Initializer mode, or null. */
  readonly #baked: BakedBlocks | null;
  /** Resident mode on a device EP, or null. */
  readonly #resident: ResidentWeights | null;
  readonly #decoding: boolean;

  constructor(arch: ArchSpec, opts: RunnerOptions) {
    this.arch = arch;
    this.ep = opts.ep ?? 'cpu';
    this.#maxLogits = opts.maxLogits ?? 2 ** 26;
    this.#baked = opts.weights === 'initializers' ? new BakedBlocks(this.ep, Math.max(1, opts.residentBlocks ?? 2)) : null;
    const device = opts.resident === 'always' || (opts.resident && this.ep !== 'cpu') ? new DeviceTensors(this.ep, { passes: !opts.decoding }) : null;
    this.#resident = device ? new ResidentWeights(device, opts.passDtype === 'f16') : null;
    this.#decoding = !!opts.decoding && this.#resident !== null;
    if (arch.numHeads % arch.numKvHeads !== 0) throw new RuntimeError(`${arch.numHeads} heads do not split into ${arch.numKvHeads} KV groups`);
    if (arch.rope && arch.rope.rotaryDim % 2 !== 0) throw new RuntimeError(`rotary dimension ${arch.rope.rotaryDim} is odd`);
  }

  /** Sessions compiled so far (each signature once). */
  get sessionCount(): number {
    return this.#sessions.size + (this.#baked?.size ?? 0);
  }

  #session(sig: BlockSig): Promise<ort.InferenceSession> {
    const key = sigKey(sig);
    let s = this.#sessions.get(key);
    if (!s) {
      const g = buildGraph(sig);
      const cached = hasCache(sig);
      const keepOnDevice = this.#resident?.device.onDevice && sig.kind !== 'head' && (!cached || this.#decoding);
      const onDevice: Record<string, 'gpu-buffer'> = cached ? { y: 'gpu-buffer' as const, present_k: 'gpu-buffer' as const, present_v: 'gpu-buffer' as const } : { y: 'gpu-buffer' as const };
      s = ort.InferenceSession.create(g.toBytes(), {
        executionProviders: executionProviders(this.ep, { passes: this.#resident !== null && !this.#decoding }),
        graphOptimizationLevel: 'all',
        ...(keepOnDevice ? { preferredOutputLocation: onDevice } : {}),
        ...profileOptions(`pass-${key}`),
      });
      s.catch(() => this.#sessions.delete(key));
      this.#sessions.set(key, s);
    }
    return s;
  }

  /** One graph run in this runner's weight mode; `owner` is the weights object (initializer mode's key). */
  async #run(sig: BlockSig, feeds: Feeds, owner?: object): Promise<ort.InferenceSession.OnnxValueMapType> {
    if (this.#resident) {
      // The passes' blocks run float16 graphs, and so do the decoding graphs when decoding; the head stays float32.
      const half = this.#resident.half && sig.kind !== 'head' && (!hasCache(sig) || this.#decoding);
      const f = await this.#resident.feeds(sig, feeds, half);
      if (half) halfEmptyCache(f);
      // Host activations rounded to float16 on the way in (ResidentWeights.feeds) are this run's own: freed after it.
      const rounded = f.x !== feeds.x ? f.x : null;
      let out: ort.InferenceSession.OnnxValueMapType;
      try {
        out = await (await this.#session(half ? { ...sig, half: true } : sig)).run(f);
      } finally {
        if (rounded) releaseTensor(rounded);
      }
      // Counted as a GPU EP moves it (transfer-count.ts): what #session leaves on the device stays there.
      const kept = sig.kind !== 'head' && (!hasCache(sig) || this.#decoding);
      countRun(`pass:${sig.kind}`, f, out, (name) => kept && (name === 'y' || (hasCache(sig) && (name === 'present_k' || name === 'present_v'))));
      return out;
    }
    // Fed and baked modes read every host feed's values: a lazy float16 matrix's are filled first.
    for (const t of Object.values(feeds)) if (t.location === 'cpu' && t.type === 'float32') widened(t.data as Float32Array);
    if (this.#baked && owner) return this.#baked.run(sig, feeds, owner);
    return (await this.#session(sig)).run(feeds);
  }

  /**
   * Resident mode: `pass` is what a block graph needs for the host weight `data` (a linear weight's
   * in×out copy, or a shortcut as is, in the passes' element type), already on the device — the
   * weight products of the device engine make both at once, so nothing is uploaded again.
   */
  adopt(data: Float32Array, pass: ort.Tensor, kind: 'weight' | 'shortcut'): void {
    if (!this.#resident) throw new RuntimeError('adopt() needs a resident runner');
    this.#resident.adopt(data, pass, kind);
  }

  /** Resident mode: whether the passes run float16 graphs. */
  get half(): boolean {
    return this.#resident?.half ?? false;
  }

  /** Resident mode: free every uploaded weight (call when a layer's weights are done with). */
  async releaseUploads(): Promise<void> {
    await this.#resident?.release();
  }

  /**
   * Resident mode: a copy of weights `w` in which every matrix whose values have a device copy holds an untouched
   * array of its size instead (no RAM until read), the copies moved to it (resident-weights.ts rekey) — so the caller
   * can keep the layer on the device and let its host values go. Matrices not uploaded keep their values; vectors
   * (norms, biases) are kept as they are. Outside resident mode `w` itself.
   */
  detachHost<T>(w: T): T {
    const r = this.#resident;
    if (!r) return w;
    const walk = (x: unknown): unknown => {
      if (x === null || typeof x !== 'object' || ArrayBuffer.isView(x)) return x;
      if (Array.isArray(x)) return x.map(walk);
      const o = x as Record<string, unknown>;
      if (typeof o.rows === 'number' && typeof o.cols === 'number' && o.data instanceof Float32Array) {
        const placeholder = new Float32Array(o.data.length);
        return r.rekey(o.data, placeholder) ? { rows: o.rows, cols: o.cols, data: placeholder } : x;
      }
      return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, walk(v)]));
    };
    return walk(w) as T;
  }

  /** Resident mode's device helpers (null otherwise). */
  get device(): DeviceTensors | null {
    return this.#resident?.device ?? null;
  }

  /** Whether this runner keeps weights, activations and the KV cache on the device while decoding. */
  get decoding(): boolean {
    return this.#decoding;
  }

  /** The last position of each row of [batch, seq, width] activations, on the host (the head's input). */
  async lastRows(x: ort.Tensor): Promise<Float32Array> {
    if (this.#resident) return this.#resident.device.downloadLast(x);
    const [batch, seq, width] = x.dims;
    const data = x.data as Float32Array;
    if (seq === 1) return data;
    const out = new Float32Array(batch * width);
    for (let b = 0; b < batch; b++) out.set(data.subarray(((b + 1) * seq - 1) * width, (b + 1) * seq * width), b * width);
    return out;
  }

  /**
   * The last position of each row: in resident mode a float32 [batch, 1, width] tensor left on the device
   * when the head takes all its rows in one run (decoding), else on the host as lastRows() gives it.
   */
  async lastRowsForHead(x: ort.Tensor, vocab: number): Promise<Float32Array | ort.Tensor> {
    if (this.#resident && x.dims[0] * vocab <= this.#maxLogits) return this.#resident.device.lastRow(x);
    return this.lastRows(x);
  }

  /** A block output on the host, downloaded if it stayed on the device. */
  async #host(t: ort.Tensor): Promise<Float32Array> {
    // Resident mode: the output is done with as a device tensor (freed, or on the CPU EP forgotten as one).
    if (this.#resident) return this.#resident.host(t);
    return t.data as Float32Array;
  }

  /**
   * RoPE tables and causal mask for `seq` new positions after `past` cached ones. Resident mode uploads the
   * three in one run when first made (a decoding step makes new ones for every token), so the layers'
   * runs are fed device tensors only.
   */
  async #positional(past: number, seq: number, f: Feeds): Promise<void> {
    const key = `${past}:${seq}`;
    let t = this.#tables.get(key);
    if (!t) {
      const rd = this.arch.rope?.rotaryDim ?? 0;
      const r = this.arch.rope ? ropeTables(this.arch.rope.theta, rd, past, seq, this.arch.rope.llama3) : { cos: new Float32Array(0), sin: new Float32Array(0) };
      t = { cos: t32(r.cos, [seq, rd / 2]), sin: t32(r.sin, [seq, rd / 2]), mask: t32(causalMask(past, seq), [seq, past + seq]) };
      if (this.#resident) {
        const up = await this.#resident.device.uploadAll(this.arch.rope ? [t.cos, t.sin, t.mask] : [t.mask]);
        t = this.arch.rope ? { cos: up[0], sin: up[1], mask: up[2] } : { ...t, mask: up[0] };
      }
      // Decoding makes a new entry per token: keep the cache small (device copies freed now, not at GC).
      if (this.#tables.size > 64) this.#clearTables();
      this.#tables.set(key, t);
    }
    if (this.arch.rope) {
      f.cos = t.cos;
      f.sin = t.sin;
    }
    f.mask = t.mask;
  }

  #clearTables(): void {
    for (const t of this.#tables.values()) for (const x of [t.cos, t.sin, t.mask]) releaseTensor(x);
    this.#tables.clear();
  }

  // Resident mode feeds linear weights transposed (in × out) for MatMul.
  #attnSig(w: Omit<AttentionWeights, 'norm' | 'shortcut'>): AttnCoreSig {
    return attnSig(this.arch, w, this.#resident !== null);
  }

  #mlpSig(w: Omit<MlpWeights, 'norm' | 'shortcut'>): MlpCoreSig {
    return mlpSig(this.arch, w, this.#resident !== null);
  }

  async embed(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number): Promise<Float32Array> {
    return this.embedAt(w, ids, batch, seq, 0);
  }

  /** Embed ids that sit at positions start … start+seq−1 (decoding). */
  async embedAt(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number, start: number): Promise<Float32Array> {
    return this.#host(await this.#embedRun(w, ids, batch, seq, start));
  }

  /** Resident mode: the embeddings (of positions start…) as a [batch, seq, D] tensor left where the EP put it. */
  embedTensor(w: EmbeddingWeights, ids: Int32Array, batch: number, seq: number, start = 0): Promise<ort.Tensor> {
    return this.#embedRun(w, ids, batch, seq, start);
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
      f.position_ids = new ort.Tensor(
        'int32',
        Int32Array.from({ length: seq }, (_, i) => start + i),
        [seq],
      );
      f.positions = t32(w.positions.data, [w.positions.rows, w.positions.cols]);
    }
    const r = await this.#run({ kind: 'embed', positions: !!w.positions, offset: w.positionOffset ?? 0, ...(w.projection ? { projection: true as const } : {}) }, f, w);
    return r.y;
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

  /** Attention with a KV cache on a host or device tensor; output and cache stay where the EP put them. */
  async attentionStep(w: AttentionWeights, x: Float32Array | ort.Tensor, batch: number, seq: number, cache: KvCache): Promise<{ y: ort.Tensor; cache: KvCache }> {
    const { r } = await this.#attentionRun(w, x, batch, seq, cache);
    return { y: r.y, cache: this.#present(r, cache, seq) };
  }

  /** A parallel block with a KV cache on a host or device tensor; output and cache stay where the EP put them. */
  async parallelStep(w: ParallelWeights, x: Float32Array | ort.Tensor, batch: number, seq: number, cache: KvCache): Promise<{ y: ort.Tensor; cache: KvCache }> {
    const { r } = await this.#parallelRun(w, x, batch, seq, cache);
    return { y: r.y, cache: this.#present(r, cache, seq) };
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
    const { t, width } = feedX(x, batch, seq);
    const f: Feeds = { x: t };
    feedNorm(f, w.norm, width);
    const out = feedAttn(f, this.arch, w, width);
    feedShortcut(f, w.shortcut, width, out);
    const withCache = feedCache(f, this.arch, batch, cache);
    await this.#positional(cache?.past ?? 0, seq, f);
    const r = await this.#run({ kind: 'attention', norm: normSig(w.norm), attn: this.#attnSig(w), shortcut: !!w.shortcut, cache: withCache }, f, w);
    return { r, withCache };
  }

  async mlp(w: MlpWeights, x: Float32Array, batch: number, seq: number): Promise<Float32Array> {
    return this.#host(await this.#mlpRun(w, x, batch, seq));
  }

  async #mlpRun(w: MlpWeights, x: Float32Array | ort.Tensor, batch: number, seq: number): Promise<ort.Tensor> {
    const { t, width } = feedX(x, batch, seq);
    const f: Feeds = { x: t };
    feedNorm(f, w.norm, width);
    const out = feedMlp(f, w, width);
    feedShortcut(f, w.shortcut, width, out);
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
    const { t, width } = feedX(x, batch, seq);
    const f: Feeds = { x: t };
    feedNorm(f, w.norm, width);
    const out = feedAttn(f, this.arch, w.attn, width);
    if (feedMlp(f, w.mlp, width) !== out) throw new RuntimeError('parallel block: attention and MLP outputs differ in width');
    feedShortcut(f, w.shortcut, width, out);
    const withCache = feedCache(f, this.arch, batch, cache);
    await this.#positional(cache?.past ?? 0, seq, f);
    const sig: BlockSig = { kind: 'parallel', norm: normSig(w.norm), attn: this.#attnSig(w.attn), mlp: this.#mlpSig(w.mlp), shortcut: !!w.shortcut, cache: withCache };
    const r = await this.#run(sig, f, w);
    return { r, withCache };
  }

  #present(r: ort.InferenceSession.OnnxValueMapType, cache: KvCache | undefined, seq: number): KvCache {
    const past = (cache?.past ?? 0) + seq;
    if (!this.#decoding) return { k: r.present_k.data as Float32Array, v: r.present_v.data as Float32Array, past };
    // The old cache was read by this run and is superseded: free its device buffers now, not at GC.
    if (cache) releaseCache(cache);
    return { k: r.present_k, v: r.present_v, past };
  }

  /** `x`: host activations, or (resident mode) a [batch, seq, width] float32 device tensor the head takes in one run. */
  async head(w: HeadWeights, x: Float32Array | ort.Tensor, batch: number, seq: number, opts: { targets?: Int32Array; logits?: boolean }): Promise<HeadOutput> {
    const n = batch * seq;
    const vocab = headVocab(w);
    const onDevice = !(x instanceof Float32Array);
    if (onDevice && (n * vocab > this.#maxLogits || x.type !== 'float32')) throw new RuntimeError(`the head takes a device tensor only in one run of float32 rows (${n} rows of ${vocab} logits, ${x.type})`);
    const width = onDevice ? feedX(x, batch, seq).width : widthOf(x, batch, seq);
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
      const f: Feeds = { x: x instanceof Float32Array ? t32(x.subarray(r0 * width, (r0 + rows) * width), [1, rows, width]) : x };
      feedNorm(f, w.norm, width);
      feedLinear(f, 'lm', w.lm, width);
      if (w.vocab) f.vocab = t32(w.vocab.data, [w.vocab.rows, w.vocab.cols]);
      if (opts.targets) feedTargets(f, opts.targets.subarray(r0, r0 + rows), vocab);
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
    await this.#resident?.device.dispose();
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    this.#clearTables();
    await this.#baked?.dispose();
    for (const s of all) await releaseSession(await s.catch(() => null));
  }
}

export type OrtRunner = OrtBlockRunner;

const hasCache = (sig: BlockSig) => 'cache' in sig && sig.cache;

/** Frees a KV cache's device buffers (host arrays are left to the GC). */
export function releaseCache(c: KvCache): void {
  for (const t of [c.k, c.v]) if (!(t instanceof Float32Array)) releaseTensor(t);
}

/** A float16 graph's first cache (past 0) fed as empty float16 tensors; later ones come from the device already. */
function halfEmptyCache(f: Feeds): void {
  for (const name of ['past_k', 'past_v']) {
    const t = f[name];
    if (t && t.type === 'float32' && t.size === 0) f[name] = new ort.Tensor('float16', new Uint16Array(0), t.dims);
  }
}

export async function createBlockRunner(arch: ArchSpec, opts: RunnerOptions = {}): Promise<OrtBlockRunner> {
  return new OrtBlockRunner(arch, opts);
}

/** `use` with a runner of its own, disposed after it whatever happens (its sessions hold native memory). */
export async function withBlockRunner<T>(arch: ArchSpec, opts: RunnerOptions, use: (runner: OrtBlockRunner) => Promise<T>): Promise<T> {
  const runner = await createBlockRunner(arch, opts);
  try {
    return await use(runner);
  } finally {
    await runner.dispose();
  }
}
