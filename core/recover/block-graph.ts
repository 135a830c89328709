// The layer-streamed training step's graphs: one block forward (x → y), one block backward that
// recomputes the block from its checkpointed input (x, dL/dy → dL/dx, dL/dA, dL/dB), and the head
// (x → loss, dL/dx). Frozen weights are graph inputs, fed from whichever block is loaded, so the graphs
// hold no weights and blocks of one shape share one graph (its bytes are the cache key, streamed-step.ts).
import type { ArchSpec } from '../model/model-source';
import type { HeadWeights, LayerWeights } from '../model/weights';
import { attentionShape, blockOnTape, loraInputs, type Frozen } from './block';
import type { LoraAdapter } from './lora';
import { mul, reduceSum, reshape } from './ops';
import { headLoss } from './train-graph';
import { Tape, type Val } from './tape';

export interface Feed {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface FedGraph {
  bytes: Uint8Array;
  /** The frozen tensors to feed, in the graph's input order. */
  weights: Feed[];
}

export const blockLoraInput = (a: LoraAdapter, which: 'A' | 'B'): string => `lora.${a.role}.${which}`;
/** A block's dropout mask input, by role (layer-free, as its LoRA inputs). */
export const blockDropoutInput = (a: LoraAdapter): string => `drop.${a.role}`;
export const blockGradOutput = (a: LoraAdapter, which: 'A' | 'B'): string => `grad.${a.role}.${which}`;

/** Frozen tensors as float32 graph inputs (each linear's weight out × in, as read). */
function fedWeights(t: Tape, weights: Feed[]): Frozen {
  return {
    tensor: (label, shape, data) => {
      weights.push({ name: label, dims: shape, data });
      return t.input(label, shape);
    },
    weight: (label, w) => {
      weights.push({ name: label, dims: [w.rows, w.cols], data: w.data });
      return t.input(label, [w.rows, w.cols]);
    },
  };
}

export interface BlockGraphOptions {
  arch: ArchSpec;
  batch: number;
  seq: number;
  /** The block's input width. */
  width: number;
  scale: number;
  /** Feed a dropout mask per adapter (dropout.ts); absent or false: the p = 0 graph, no mask inputs. */
  dropout?: boolean;
}

/**
 * mode 'forward': input x [N, width] → output y. mode 'backward': inputs x and dy (dL/dy) → outputs dx
 * and each adapter's gradient; the block's internals are recomputed here, never kept between the passes.
 */
export function blockGraph(w: LayerWeights, layerAdapters: LoraAdapter[], mode: 'forward' | 'backward', o: BlockGraphOptions): FedGraph {
  const N = o.batch * o.seq;
  const t = new Tape(`recover-block-${mode}`, 'float32');
  const weights: Feed[] = [];
  const f = fedWeights(t, weights);
  const x = t.input('x', [N, o.width], mode === 'backward');
  const layer = layerAdapters[0]?.layer ?? -1;
  const { lora, vals } = loraInputs(t, layerAdapters, layer, blockLoraInput, o.dropout ? { rows: N, name: blockDropoutInput } : undefined);
  const y = blockOnTape(t, f, x, w, 'blk', lora, o.scale, attentionShape(t, o.arch, o.batch, o.seq), o.arch);
  if (mode === 'forward') {
    t.g.node('Identity', [y.name], {}, { out: 'y' });
    t.g.output('y', 'float32', [...y.shape]);
    return { bytes: t.g.toBytes(), weights };
  }
  // Σ y·dy has dL/dy = dy: the tape's backward from this scalar is the block's vector-Jacobian product.
  const dy = t.input('dy', [...y.shape]);
  const grads = t.backward(reshape(t, reduceSum(t, mul(t, y, dy), [0, 1]), [1]), [x, ...vals.flatMap((v) => [v.A, v.B])]);
  t.g.node('Identity', [grads.get('x')!], {}, { out: 'dx' });
  t.g.output('dx', 'float32', [N, o.width]);
  for (const v of vals)
    for (const which of ['A', 'B'] as const) {
      t.g.node('Identity', [grads.get(blockLoraInput(v.adapter, which))!], {}, { out: blockGradOutput(v.adapter, which) });
      t.g.output(blockGradOutput(v.adapter, which), 'float32');
    }
  return { bytes: t.g.toBytes(), weights };
}

/** x [N, width], targets, weights → loss [1] and dx. */
export function headGraph(head: HeadWeights, o: { batch: number; seq: number; width: number }): FedGraph {
  const N = o.batch * o.seq;
  const t = new Tape('recover-head', 'float32');
  const weights: Feed[] = [];
  const x: Val = t.input('x', [N, o.width], true);
  const loss = headLoss(t, fedWeights(t, weights), x, head, N);
  const grads = t.backward(loss, [x]);
  t.g.node('Identity', [loss.name], {}, { out: 'loss' });
  t.g.output('loss', 'float32', [1]);
  t.g.node('Identity', [grads.get('x')!], {}, { out: 'dx' });
  t.g.output('dx', 'float32', [N, o.width]);
  return { bytes: t.g.toBytes(), weights };
}
