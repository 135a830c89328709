// Log-likelihoods of continuations given contexts, on any BlockRunner / execution provider.
//
// Batching: the requests of one group (the choices of one document, which share a context or — for
// WinoGrande — a continuation) always go through the model together, as one right-padded batch;
// several groups of similar length are packed into the same forward pass to amortize per-run cost
// (sorted by length, as lm-eval's Collator does). Right padding is harmless under causal attention;
// padded positions are simply never scored.
//
// Streaming: the model is run layer-major over a chunk of groups — each layer's weights are fetched
// once per chunk and applied to every batch of the chunk — so a 7B model never has more than one
// block's weights live unless they are small enough to keep, or the runner is resident on a GPU with
// room for them (see `keepWeights`, runtime/keep-weights.ts).
//
// Scores come from the head's per-position NLL of the target (−log softmax at the target token):
// loglik = −Σ nll over the continuation positions. `greedy` additionally asks for full logits to
// report lm-eval's is_greedy (every continuation token is the argmax).
import type { ModelSource } from '../model/model-source';
import type { BlockRunner } from '../runtime/contract';
import { runLayer } from '../runtime/contract';
import type { EmbeddingWeights, HeadWeights, LayerWeights } from '../model/weights';
import { headVocab } from '../model/weights';
import type { ModelInput } from './encode';
import { CancelledError } from '../base/job-context';
import { keepAcrossGroups, layerBytes } from '../runtime/keep-weights';
import { deviceWalker, layerOnDevice, toHost, type DeviceWalker } from '../runtime/device-walk';
import { releaseTensor } from '../runtime/device';
import type ort from 'onnxruntime-node';

export interface ScoredRequest {
  /** Σ log p(continuation token | prefix), float64 sum of the per-token values. */
  loglik: number;
  /** Every continuation token is the greedy argmax (only when the scorer was created with greedy). */
  isGreedy?: boolean;
  /** Per continuation token log p (same order as the tokens). */
  tokenLogprobs: number[];
}

export interface ScorerOptions {
  /** Also compute is_greedy from full logits (more memory and time). */
  greedy?: boolean;
  /**
   * Keep every layer's weights between chunks (a resident runner's on the device only: runner.detachHost). Default:
   * when they fit in ~1 GiB of float32, or the runner is resident on a GPU EP (keepAcrossGroups).
   */
  keepWeights?: boolean;
  /**
   * Keep the activations on the device from the embedding to the head (device-walk.ts). Default: when the runner is
   * resident on a GPU EP; true also takes a resident runner on the CPU EP (the same code path).
   */
  deviceActivations?: boolean;
  /** Most sequences in one forward pass (a group is never split, so a pass may exceed this by one group). */
  maxBatchRows?: number;
  /** Most padded tokens (rows × longest) in one forward pass. */
  maxBatchTokens?: number;
}

export class ScorerError extends Error {
  override name = 'ScorerError';
}

interface Batch {
  /** Indices into the chunk's groups, in row order. */
  groups: number[];
  rows: number;
  seq: number;
}

export class LoglikelihoodScorer {
  readonly #source: ModelSource;
  readonly #runner: BlockRunner;
  readonly #greedy: boolean;
  readonly #keep: boolean;
  readonly #walker: DeviceWalker | null;
  readonly #maxRows: number;
  readonly #maxTokens: number;
  #embedding: EmbeddingWeights | null = null;
  #layers: (LayerWeights | null)[];
  #head: HeadWeights | null = null;
  /** Kept weights whose uploaded matrices no longer hold host values (runner.detachHost): detached once. */
  readonly #detached = new WeakSet<object>();

  private constructor(source: ModelSource, runner: BlockRunner, opts: ScorerOptions) {
    this.#source = source;
    this.#runner = runner;
    this.#greedy = opts.greedy ?? false;
    this.#keep = opts.keepWeights ?? (layerBytes(source.config) < 2 ** 30 || keepAcrossGroups(runner));
    this.#walker = opts.deviceActivations === false ? null : deviceWalker(runner, opts.deviceActivations === true);
    this.#maxRows = opts.maxBatchRows ?? 32;
    this.#maxTokens = opts.maxBatchTokens ?? 8192;
    this.#layers = new Array(source.config.numLayers).fill(null);
  }

  /** The runner stays the caller's: the scorer never disposes it. */
  static async create(source: ModelSource, runner: BlockRunner, opts: ScorerOptions = {}): Promise<LoglikelihoodScorer> {
    return new LoglikelihoodScorer(source, runner, opts);
  }

  /** Longest input the model takes (lm-eval's max_length: the model's position limit). */
  get maxLength(): number {
    return this.#source.config.maxPositions;
  }

  /**
   * Score each group's requests. `groups[g][r]` is the r-th request of group g; the result has the
   * same shape. `onBatch` is called after each forward pass with the number of groups it finished.
   */
  async scoreGroups(groups: ModelInput[][], opts: { signal?: AbortSignal; onGroups?: (done: number) => void } = {}): Promise<ScoredRequest[][]> {
    for (const g of groups) {
      if (g.length === 0) throw new ScorerError('a request group is empty');
      for (const r of g) {
        if (r.input.length === 0) throw new ScorerError('a request has no input tokens');
        if (r.input.length > this.maxLength) throw new ScorerError(`input of ${r.input.length} tokens exceeds the model's window (${this.maxLength})`);
        if (r.continuation.length > r.input.length) throw new ScorerError('a continuation is longer than its input');
      }
    }
    const batches = this.#pack(groups);
    const out: ScoredRequest[][] = groups.map(() => []);
    const embedding = await this.#getEmbedding();
    // Embed every batch, then walk the layers once for the whole chunk.
    // On the host, or (a resident runner on a GPU: device-walk.ts) on the device until the head.
    const acts: (Float32Array | ort.Tensor)[] = [];
    const ids: Int32Array[] = [];
    const walker = this.#walker;
    try {
      for (const b of batches) {
        const t = new Int32Array(b.rows * b.seq); // right padding with token 0: never attended to by valid tokens
        let row = 0;
        for (const gi of b.groups) for (const r of groups[gi]) t.set(r.input, row++ * b.seq);
        ids.push(t);
        acts.push(walker ? await walker.embedTensor(embedding, t, b.rows, b.seq) : await this.#runner.embed(embedding, t, b.rows, b.seq));
      }
      if (!this.#keep) this.#embedding = null;
      else this.#embedding = this.#detach(embedding);
      for (let l = 0; l < this.#source.config.numLayers; l++) {
        if (opts.signal?.aborted) throw new CancelledError();
        const w = await this.#getLayer(l);
        for (let i = 0; i < batches.length; i++) {
          const x = acts[i];
          if (x instanceof Float32Array) acts[i] = await runLayer(this.#runner, w, x, batches[i].rows, batches[i].seq);
          else {
            acts[i] = await layerOnDevice(walker!, w, x, batches[i].rows, batches[i].seq);
            releaseTensor(x);
          }
        }
        // Weights kept stay on the device (uploaded once for the whole run, their host values let go where the
        // runner is resident); streamed ones go with their layer.
        if (!this.#keep) await this.#runner.releaseUploads?.();
        else this.#layers[l] = this.#detach(w);
      }
      const head = await this.#getHead();
      for (let i = 0; i < batches.length; i++) {
        if (opts.signal?.aborted) throw new CancelledError();
        const b = batches[i];
        // The head is per position, so only the scored positions go through it: gather those rows of the
        // final activations (most of a prompt is context, and the vocab projection is the costliest op).
        const t = acts[i];
        acts[i] = new Float32Array(0);
        const final = t instanceof Float32Array ? t : await toHost(walker!, t);
        const width = final.length / (b.rows * b.seq);
        let scored = 0;
        for (const gi of b.groups) for (const r of groups[gi]) scored += r.continuation.length;
        const x = new Float32Array(scored * width);
        const targets = new Int32Array(scored);
        let row = 0;
        let k0 = 0;
        for (const gi of b.groups) {
          for (const r of groups[gi]) {
            const L = r.input.length;
            const n = r.continuation.length;
            const from = (row * b.seq + L - n) * width;
            x.set(final.subarray(from, from + n * width), k0 * width);
            targets.set(r.continuation, k0);
            k0 += n;
            row++;
          }
        }
        const h = await this.#runner.head(head, x, 1, scored, { targets, logits: this.#greedy });
        if (!h.nll) throw new ScorerError('the runtime returned no per-token NLL');
        const vocab = headVocab(head);
        k0 = 0;
        for (const gi of b.groups) {
          for (const r of groups[gi]) {
            const n = r.continuation.length;
            const tokenLogprobs: number[] = [];
            let sum = 0;
            let greedy = true;
            for (let k = 0; k < n; k++) {
              const pos = k0 + k;
              const lp = -h.nll[pos];
              tokenLogprobs.push(lp);
              sum += lp;
              if (h.logits) {
                const base = pos * vocab;
                let best = 0;
                for (let v = 1; v < vocab; v++) if (h.logits[base + v] > h.logits[base + best]) best = v;
                if (best !== r.continuation[k]) greedy = false;
              }
            }
            out[gi].push(this.#greedy ? { loglik: sum, isGreedy: greedy, tokenLogprobs } : { loglik: sum, tokenLogprobs });
            k0 += n;
          }
        }
        opts.onGroups?.(b.groups.length);
      }
    } finally {
      // Cancelled or failed mid-chunk: the device activations go now.
      for (const x of acts) if (!(x instanceof Float32Array)) releaseTensor(x);
    }
    if (!this.#keep) {
      this.#layers.fill(null);
      this.#head = null;
    } else if (this.#head) this.#head = this.#detach(this.#head);
    return out;
  }

  /** Pack groups into forward passes: longest first, bounded rows and padded tokens. */
  #pack(groups: ModelInput[][]): Batch[] {
    const len = (g: ModelInput[]) => Math.max(...g.map((r) => r.input.length));
    const order = groups.map((_, i) => i).sort((a, b) => len(groups[b]) - len(groups[a]) || a - b);
    const batches: Batch[] = [];
    let cur: Batch | null = null;
    for (const gi of order) {
      const g = groups[gi];
      const seq = len(g);
      if (cur && (cur.rows + g.length > this.#maxRows || (cur.rows + g.length) * cur.seq > this.#maxTokens)) cur = null;
      if (!cur) {
        cur = { groups: [], rows: 0, seq };
        batches.push(cur);
      }
      cur.groups.push(gi);
      cur.rows += g.length;
    }
    return batches;
  }

  async #getEmbedding(): Promise<EmbeddingWeights> {
    return (this.#embedding ??= await this.#source.embedding());
  }

  async #getLayer(i: number): Promise<LayerWeights> {
    const w = this.#layers[i] ?? (await this.#source.layer(i));
    if (this.#keep) this.#layers[i] = w;
    return w;
  }

  /** Kept weights `w` with their uploaded matrices' host values let go (runner.detachHost), once. */
  #detach<T extends object>(w: T): T {
    if (this.#detached.has(w) || !this.#runner.detachHost) return w;
    const d = this.#runner.detachHost(w);
    this.#detached.add(d);
    return d;
  }

  async #getHead(): Promise<HeadWeights> {
    return (this.#head ??= await this.#source.head());
  }
}
