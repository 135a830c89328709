// The training step of a whole (small) sliced model as ONE ONNX graph: embedding → blocks with LoRA
// → head → weighted cross-entropy, then the tape's backward. Inputs: ids [B, S], next-token targets
// [B·S] (clamped ≥ 0), per-position loss weights [B·S] (0 on padding, 1/tokens elsewhere) and every
// adapter's A and B; outputs: the loss and dL/dA, dL/dB per adapter. The frozen weights are baked in
// as initializers (out × in as stored; every linear is a Gemm with transB).
//
// Memory: ORT keeps every activation of the step and every weight, so this suits the tiny and small
// models; larger ones train layer-streamed (streamed-step.ts, same blocks, same ops).
import type { ArchSpec, ModelSource } from '../model/model-source';
import type { ModelConfig } from '../model/config';
import type { EmbeddingWeights, HeadWeights, LayerWeights } from '../model/weights';
import { reshape, weightedCrossEntropy } from './ops';
import { linear, normalize } from './layers';
import { untiedEmbedding, untiedHead } from '../slicegpt/tied';
import type { LoraAdapter } from './lora';
import { dropoutInput } from './dropout';
import { attentionShape, blockOnTape, frozenLinear, frozenNorm, loraInputs, type Frozen } from './block';
import { Tape, type TapeDtype, type Val } from './tape';

export interface ModelWeights {
  config: ModelConfig;
  arch: ArchSpec;
  embedding: EmbeddingWeights;
  layers: LayerWeights[];
  head: HeadWeights;
  /** A tied embedding stored once (sliced format 2) as the graph reads it: full vocab × width tables. The
   * stored factors above stay as they are, so the merged model is written in the slice's own layout. */
  graphTables?: { embedding: EmbeddingWeights; head: HeadWeights };
}

export async function loadModelWeights(src: ModelSource): Promise<ModelWeights> {
  const layers: LayerWeights[] = [];
  for (let i = 0; i < src.config.numLayers; i++) layers.push(await src.layer(i));
  const embedding = await src.embedding();
  const head = await src.head();
  const tied = embedding.projection !== undefined || head.vocab !== undefined;
  return { config: src.config, arch: src.arch, embedding, layers, head, ...(tied ? { graphTables: { embedding: await untiedEmbedding(embedding), head: await untiedHead(head) } } : {}) };
}

export interface TrainGraphOptions {
  batch: number;
  seq: number;
  dtype: TapeDtype;
  /** α / r. */
  scale: number;
  /** Feed a dropout mask per adapter (dropout.ts); absent or false: no mask inputs, the p = 0 graph. */
  dropout?: boolean;
}

export const gradName = (a: LoraAdapter, which: 'A' | 'B'): string => `grad:${a.key}.lora_${which}`;
export const adapterInput = (a: LoraAdapter, which: 'A' | 'B'): string => `${a.key}.lora_${which}`;

/** Frozen tensors baked into the graph as initializers. */
function bakedWeights(t: Tape): Frozen {
  return {
    tensor: (label, shape, data) => t.constant(label, shape, data),
    weight: (label, w) => t.constant(label, [w.rows, w.cols], w.data),
  };
}

export function buildTrainGraph(m: ModelWeights, adapters: LoraAdapter[], o: TrainGraphOptions): Uint8Array {
  const { batch: B, seq: S } = o;
  const N = B * S;
  const t = new Tape('recover-step', o.dtype);
  const g = t.g;
  const f = bakedWeights(t);
  const trainables: Val[] = [];
  const blockLora = m.layers.map((_, i) => {
    const { lora, vals } = loraInputs(t, adapters, i, adapterInput, o.dropout ? { rows: N, name: dropoutInput } : undefined);
    for (const v of vals) trainables.push(v.A, v.B);
    return lora;
  });

  // Embedding: a lookup of frozen tables, no gradient.
  const ids = g.input('ids', 'int32', [B, S]);
  const e = (m.graphTables ?? m).embedding;
  const D0 = e.tokens.cols;
  let x0 = g.node('Gather', [f.tensor('tok', [e.tokens.rows, D0], e.tokens.data).name, ids], { axis: 0 });
  if (e.positions) {
    const pos = Int32Array.from({ length: S }, (_, i) => i + (e.positionOffset ?? 0));
    const posIds = g.initializer(g.fresh('pos_ids'), 'int32', [S], pos);
    x0 = g.node('Add', [x0, g.node('Gather', [f.tensor('pos', [e.positions.rows, e.positions.cols], e.positions.data).name, posIds], { axis: 0 })]);
  }
  let x = t.wrap(g.node('Reshape', [x0, g.i64([N, D0])]), [N, D0]);
  const shape = attentionShape(t, m.arch, B, S);
  m.layers.forEach((w, i) => {
    x = blockOnTape(t, f, x, w, `l${i}`, blockLora[i], o.scale, shape, m.arch);
  });
  const loss = headLoss(t, f, x, (m.graphTables ?? m).head, N);
  const grads = t.backward(loss, trainables);
  g.node('Identity', [loss.name], {}, { out: 'loss' });
  g.output('loss', o.dtype, [1]);
  for (const a of adapters) {
    for (const which of ['A', 'B'] as const) {
      const name = gradName(a, which);
      g.node('Identity', [grads.get(adapterInput(a, which))!], {}, { out: name });
      g.output(name, o.dtype);
    }
  }
  return g.toBytes();
}

/** norm → lm head → weighted cross-entropy over inputs `targets` [N] and `weights` [N]: the loss, shape [1]. */
export function headLoss(t: Tape, f: Frozen, x: Val, head: HeadWeights, N: number): Val {
  const logits = linear(t, normalize(t, x, frozenNorm(f, 'head.norm', head.norm)), frozenLinear(f, 'head.lm', head.lm, undefined, 1));
  const targets = t.g.input('targets', 'int32', [N]);
  const weights = t.input('weights', [N]);
  return reshape(t, weightedCrossEntropy(t, logits, targets, weights), [1]);
}
