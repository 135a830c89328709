// Layer-major forward over many windows: embed every window, then run layer 0 over all of them in
// batches, then layer 1, …, then the head. Only one layer's weights are alive at a time, which is
// what lets a model larger than memory stream from disk; the price is holding every window's
// activations, so windows are processed in groups bounded by `maxActivationBytes`.
import { checkCancelled, quietContext, type JobContext } from '../base/job-context';
import { runLayer, type BlockRunner } from './contract';
import type { ModelSource } from '../model/model-source';
import type { EmbeddingWeights, HeadWeights, LayerWeights } from '../model/weights';
import { keepAcrossGroups } from './keep-weights';
import { deviceWalker, layerOnDevice, toHost } from './device-walk';
import { releaseTensor } from './device';
import type ort from 'onnxruntime-node';

export interface ForwardOptions {
  /** Windows per block run. */
  batch?: number;
  /** Upper bound on the activations held at once (default 1 GiB). */
  maxActivationBytes?: number;
  /** Per window, per position: the token to score (−1 = none). Gives `nll`. */
  targets?: Int32Array[];
  /** Return full logits (small inputs only: windows × seq × vocab floats). */
  logits?: boolean;
  ctx?: JobContext;
  /** Progress phase name (default 'forward'). */
  phase?: string;
  /**
   * Keep every layer's weights (and a resident runner's uploads) from one group of windows to the next instead of
   * loading each layer again per group. Default: keep-weights.ts keepAcrossGroups (resident on a GPU EP, room in RAM).
   */
  keepWeights?: boolean;
  /**
   * Keep the activations on the device from the embedding to the last layer (device-walk.ts). Default: when the
   * runner is resident on a GPU EP; true also takes a resident runner on the CPU EP (the same code path).
   */
  deviceActivations?: boolean;
}

export interface ForwardOutput {
  /** [windows · seq], window-major. */
  logsumexp: Float32Array;
  nll?: Float32Array;
  logits?: Float32Array;
}

/** forward's default bound on the activations held at once: 1 GiB of float32. */
export const DEFAULT_ACTIVATION_BYTES = 2 ** 30;

/** Windows per group of the walk: as many whole batches of `seq`-token windows as fit `maxActivationBytes` of float32 (at least one batch). */
export function windowsPerGroup(seq: number, hiddenSize: number, batch: number, maxActivationBytes = DEFAULT_ACTIVATION_BYTES): number {
  return Math.max(batch, Math.floor(maxActivationBytes / (seq * hiddenSize * 4) / batch) * batch);
}

/** Run equal-length windows (each `seq` ids, starting at position 0) through the whole model. */
export async function forward(src: ModelSource, runner: BlockRunner, windows: Int32Array[], opts: ForwardOptions = {}): Promise<ForwardOutput> {
  const ctx = opts.ctx ?? quietContext();
  const phase = opts.phase ?? 'forward';
  const n = windows.length;
  if (n === 0) return { logsumexp: new Float32Array(0), ...(opts.targets ? { nll: new Float32Array(0) } : {}) };
  const seq = windows[0].length;
  for (const w of windows) if (w.length !== seq) throw new RangeError('forward: all windows must have the same length');
  if (opts.targets && opts.targets.length !== n) throw new RangeError('forward: one targets array per window');
  const batch = Math.max(1, opts.batch ?? 8);
  const group = windowsPerGroup(seq, src.config.hiddenSize, batch, opts.maxActivationBytes);
  const L = src.config.numLayers;
  const vocab = src.config.vocabSize;

  const out: ForwardOutput = { logsumexp: new Float32Array(n * seq) };
  if (opts.targets) out.nll = new Float32Array(n * seq);
  if (opts.logits) out.logits = new Float32Array(n * seq * vocab);
  const groups = Math.ceil(n / group);
  const keep = groups > 1 && (opts.keepWeights ?? keepAcrossGroups(runner));
  const kept = new Map<number, LayerWeights>();
  let keptEmbedding: EmbeddingWeights | null = null;
  let keptHead: HeadWeights | null = null;
  const walker = opts.deviceActivations === false ? null : deviceWalker(runner, opts.deviceActivations === true);
  const steps = groups * (L + 2);
  let done = 0;
  const tick = (layer?: number) => {
    done++;
    ctx.progress({ phase, layer, layers: L, fraction: done / steps });
  };

  try {
    for (let g0 = 0; g0 < n; g0 += group) {
      const g1 = Math.min(n, g0 + group);
      // acts[b]: [rows, seq, width] for windows g0 + b·batch …, on the host or (walker) on the device.
      const acts: { start: number; rows: number; x: Float32Array | ort.Tensor }[] = [];
      try {
        const emb: EmbeddingWeights = keptEmbedding ?? (await src.embedding());
        for (let s = g0; s < g1; s += batch) {
          checkCancelled(ctx);
          const rows = Math.min(batch, g1 - s);
          const ids = new Int32Array(rows * seq);
          for (let r = 0; r < rows; r++) ids.set(windows[s + r], r * seq);
          acts.push({ start: s, rows, x: walker ? await walker.embedTensor(emb, ids, rows, seq) : await runner.embed(emb, ids, rows, seq) });
        }
        if (keep && g0 === 0) keptEmbedding = runner.detachHost?.(emb) ?? emb;
        tick();
        for (let l = 0; l < L; l++) {
          const w = kept.get(l) ?? (await src.layer(l));
          for (const a of acts) {
            checkCancelled(ctx);
            if (a.x instanceof Float32Array) a.x = await runLayer(runner, w, a.x, a.rows, seq);
            else {
              const y = await layerOnDevice(walker!, w, a.x, a.rows, seq);
              releaseTensor(a.x);
              a.x = y;
            }
          }
          // A resident runner uploaded this layer once for every window batch; the next layer needs the room
          // (unless the layers are kept: then their uploads serve the next group too, and the host values go).
          if (!keep) await runner.releaseUploads?.();
          else if (g0 === 0) kept.set(l, runner.detachHost?.(w) ?? w);
          tick(l);
        }
        const head: HeadWeights = keptHead ?? (await src.head());
        for (const a of acts) {
          checkCancelled(ctx);
          let targets: Int32Array | undefined;
          if (opts.targets) {
            targets = new Int32Array(a.rows * seq);
            for (let r = 0; r < a.rows; r++) targets.set(opts.targets[a.start + r], r * seq);
          }
          const t = a.x;
          a.x = new Float32Array(0);
          const x = t instanceof Float32Array ? t : await toHost(walker!, t);
          const h = await runner.head(head, x, a.rows, seq, { targets, logits: opts.logits });
          out.logsumexp.set(h.logsumexp!, a.start * seq);
          if (h.nll) out.nll!.set(h.nll, a.start * seq);
          if (h.logits) out.logits!.set(h.logits, a.start * seq * vocab);
        }
        if (keep && g0 === 0) keptHead = runner.detachHost?.(head) ?? head;
        tick();
      } finally {
        // Cancelled or failed mid-group: the device activations go now, not with the process.
        for (const a of acts) if (!(a.x instanceof Float32Array)) releaseTensor(a.x);
      }
    }
  } finally {
    // Kept layers' uploads would outlive this walk on a caller's runner (the next walk reads its layers afresh),
    // also when it was cancelled.
    if (keep) await runner.releaseUploads?.();
  }
  return out;
}

/** Next-token targets of a window: targets[i] = ids[i+1], the last position scores nothing. */
export function nextTokenTargets(ids: Int32Array): Int32Array {
  const t = new Int32Array(ids.length);
  t.set(ids.subarray(1));
  t[ids.length - 1] = -1;
  return t;
}
