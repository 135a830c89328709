// The layer-streamed training step: the same loss and gradients as the one-graph step (step.ts) with
// one block's weights and one block's internals in memory at a time.
// - Forward: the embedding on the host, then block by block (weights read when the block runs), keeping
//   only each block's input (checkpointing: L + 1 activations of N × d).
// - Head: loss and dL/dx from the last activation.
// - Backward, from the last block to the first: the block's weights read again, its internals recomputed
//   from its checkpointed input, dL/dx passed down, each adapter's gradient collected.
// The adapters and AdamW state stay on the host (train.ts); the frozen base weights are never all held:
// `StreamedModel.layer` reads a block from the sliced folder each time (or hands out resident blocks
// where the model is small, residentModel).
import { createHash } from 'node:crypto';
import ort from 'onnxruntime-node';
import type { ArchSpec, ModelSource } from '../model/model-source';
import type { EmbeddingWeights, HeadWeights, LayerWeights } from '../model/weights';
import type { ExecutionProvider } from '../runtime/contract';
import { executionProviders } from '../runtime/ep-options';
import { untiedEmbedding, untiedHead } from '../slicegpt/tied';
import { blockDropoutInput, blockGradOutput, blockGraph, blockLoraInput, headGraph, type FedGraph } from './block-graph';
import type { MicroBatch } from './data';
import type { MaskSource } from './dropout';
import { linearShapes, type LinearShapes, type LoraAdapter } from './lora';
import type { StepGradients } from './step';
import type { ModelWeights } from './train-graph';

/** What the streamed step reads: the embedding and head held (as the graph reads them: untied), blocks on demand. */
export interface StreamedModel {
  arch: ArchSpec;
  numLayers: number;
  embedding: EmbeddingWeights;
  head: HeadWeights;
  layer(i: number): Promise<LayerWeights>;
}

export function residentModel(m: ModelWeights): StreamedModel {
  const { embedding, head } = m.graphTables ?? m;
  return { arch: m.arch, numLayers: m.layers.length, embedding, head, layer: async (i) => m.layers[i] };
}

/** Blocks read from the folder each time they run (forward and backward): at most one block in memory. */
export async function streamedModel(src: ModelSource): Promise<StreamedModel> {
  return { arch: src.arch, numLayers: src.config.numLayers, embedding: await untiedEmbedding(await src.embedding()), head: await untiedHead(await src.head()), layer: (i) => src.layer(i) };
}

/** The adapted linears' shapes, reading one block at a time. */
export async function streamedShapes(src: Pick<ModelSource, 'config' | 'layer'>): Promise<LinearShapes[]> {
  const out: LinearShapes[] = [];
  for (let i = 0; i < src.config.numLayers; i++) out.push(linearShapes(await src.layer(i)));
  return out;
}

/** Rows of the (untied) token table, plus learned positions, as the whole graph's Gather + Add computes them. */
export function embed(e: EmbeddingWeights, ids: Int32Array, seq: number): Float32Array {
  const D = e.tokens.cols;
  const x = new Float32Array(ids.length * D);
  for (let n = 0; n < ids.length; n++) {
    x.set(e.tokens.data.subarray(ids[n] * D, (ids[n] + 1) * D), n * D);
    if (e.positions) {
      const p = ((n % seq) + (e.positionOffset ?? 0)) * D;
      for (let j = 0; j < D; j++) x[n * D + j] += e.positions.data[p + j];
    }
  }
  return x;
}

export class StreamedStep {
  readonly #m: StreamedModel;
  readonly #o: { batch: number; seq: number; scale: number; ep: ExecutionProvider; dropout?: boolean };
  /** Sessions by graph bytes: blocks of one shape share one. */
  readonly #sessions = new Map<string, ort.InferenceSession>();

  constructor(m: StreamedModel, o: { batch: number; seq: number; scale: number; ep?: ExecutionProvider; dropout?: boolean }) {
    this.#m = m;
    this.#o = { ...o, ep: o.ep ?? 'cpu' };
  }

  async #run(g: FedGraph, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    const key = createHash('sha256').update(g.bytes).digest('hex');
    let s = this.#sessions.get(key);
    if (!s) {
      // Sequential, as the one-graph step: a resumed run must end byte for byte where an uninterrupted one does.
      // No CPU arena: each session's arena keeps its peak, so the forward, backward and head sessions
      // would hold the sum of their peaks instead of the largest (measured: 7B-shape, 3.4 vs 1.9 GiB predicted).
      s = await ort.InferenceSession.create(g.bytes, { executionProviders: executionProviders(this.#o.ep), executionMode: 'sequential', enableCpuMemArena: false });
      this.#sessions.set(key, s);
    }
    for (const w of g.weights) feeds[w.name] = new ort.Tensor('float32', w.data, w.dims);
    return s.run(feeds);
  }

  /** `masks`: each adapter's dropout mask (dropout.ts); required when built with dropout. A block's masks are
   * drawn when the block runs and drawn again for its backward (a pure function of the seeds), so only one
   * block's masks are held at a time, as with its weights. */
  async run(mb: MicroBatch, adapters: LoraAdapter[], masks?: MaskSource): Promise<StepGradients> {
    const { batch: B, seq: S, scale, dropout } = this.#o;
    const N = B * S;
    const L = this.#m.numLayers;
    const byLayer = Array.from({ length: L }, (_, i) => adapters.filter((a) => a.layer === i));
    const loraFeeds = (as: LoraAdapter[]) => {
      const f: Record<string, ort.Tensor> = {};
      for (const a of as) {
        f[blockLoraInput(a, 'A')] = new ort.Tensor('float32', a.A, [a.A.length / a.inF, a.inF]);
        f[blockLoraInput(a, 'B')] = new ort.Tensor('float32', a.B, [a.outF, a.B.length / a.outF]);
        // The forward and the backward (which recomputes the block) see the same mask: drawn again, not kept.
        if (masks) f[blockDropoutInput(a)] = new ort.Tensor('float32', masks(a), [N, a.inF]);
      }
      return f;
    };
    const checkpoints: Float32Array[] = [embed(this.#m.embedding, mb.ids, S)];
    for (let i = 0; i < L; i++) {
      const x = checkpoints[i];
      const g = blockGraph(await this.#m.layer(i), byLayer[i], 'forward', { arch: this.#m.arch, batch: B, seq: S, width: x.length / N, scale, dropout });
      const out = await this.#run(g, { x: new ort.Tensor('float32', x, [N, x.length / N]), ...loraFeeds(byLayer[i]) });
      checkpoints.push(out.y.data as Float32Array);
    }
    const last = checkpoints[L];
    const h = await this.#run(headGraph(this.#m.head, { batch: B, seq: S, width: last.length / N }), {
      x: new ort.Tensor('float32', last, [N, last.length / N]),
      targets: new ort.Tensor('int32', mb.targets, [N]),
      weights: new ort.Tensor('float32', mb.weights, [N]),
    });
    const loss = (h.loss.data as Float32Array)[0];
    let dy = h.dx.data as Float32Array;
    const grads = new Map<LoraAdapter, { A: Float32Array; B: Float32Array }>();
    for (let i = L - 1; i >= 0; i--) {
      const x = checkpoints[i];
      const width = x.length / N;
      const g = blockGraph(await this.#m.layer(i), byLayer[i], 'backward', { arch: this.#m.arch, batch: B, seq: S, width, scale, dropout });
      const out = await this.#run(g, { x: new ort.Tensor('float32', x, [N, width]), dy: new ort.Tensor('float32', dy, [N, dy.length / N]), ...loraFeeds(byLayer[i]) });
      for (const a of byLayer[i]) grads.set(a, { A: out[blockGradOutput(a, 'A')].data as Float32Array, B: out[blockGradOutput(a, 'B')].data as Float32Array });
      dy = out.dx.data as Float32Array;
      checkpoints.pop();
    }
    return { loss, grads: adapters.map((a) => grads.get(a)!) };
  }

  async dispose(): Promise<void> {
    for (const s of this.#sessions.values()) await s.release();
    this.#sessions.clear();
  }
}
