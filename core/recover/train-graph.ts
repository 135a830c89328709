// The training step of a whole (small) sliced model as ONE ONNX graph: embedding → blocks with LoRA
// → head → weighted cross-entropy, then the tape's backward. Inputs: ids [B, S], next-token targets
// [B·S] (clamped ≥ 0), per-position loss weights [B·S] (0 on padding, 1/tokens elsewhere) and every
// adapter's A and B; outputs: the loss and dL/dA, dL/dB per adapter. The frozen weights are baked in
// as initializers (fed transposed, in × out, so every linear is a MatMul).
//
// Memory: ORT keeps every activation of the step, so this suits the tiny and small models trained
// here; a 7B model needs the layer-streamed variant (recompute per block) that is not built yet.
import type { ArchSpec, ModelSource } from '../model/model-source';
import type { ModelConfig } from '../model/config';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, NormSpec } from '../model/weights';
import { causalMask, ropeTables } from '../runtime/rope';
import { add, reshape, weightedCrossEntropy } from './ops';
import { attention, linear, mlp, normalize, residual, type LinearVals, type NormKind } from './layers';
import { untiedEmbedding, untiedHead } from '../slicegpt/tied';
import { linearsOf, type LoraAdapter } from './lora';
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
}

export const gradName = (a: LoraAdapter, which: 'A' | 'B'): string => `grad:${a.key}.lora_${which}`;
export const adapterInput = (a: LoraAdapter, which: 'A' | 'B'): string => `${a.key}.lora_${which}`;

function transposed(l: Linear): Float32Array {
  const { rows, cols, data } = l.weight;
  const t = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = data[r * cols + c];
  return t;
}

export function buildTrainGraph(m: ModelWeights, adapters: LoraAdapter[], o: TrainGraphOptions): Uint8Array {
  const { batch: B, seq: S } = o;
  const N = B * S;
  const t = new Tape('recover-step', o.dtype);
  const g = t.g;
  let k = 0;
  const c = (shape: number[], data: ArrayLike<number>, label: string) => t.constant(`${label}_${k++}`, shape, data);
  const byKey = new Map(adapters.map((a) => [`${a.layer}:${a.role}`, a]));
  const trainables: Val[] = [];
  const adapterVals = new Map<LoraAdapter, { A: Val; B: Val }>();
  for (const a of adapters) {
    const A = t.input(adapterInput(a, 'A'), [a.A.length / a.inF, a.inF], true);
    const Bv = t.input(adapterInput(a, 'B'), [a.outF, a.B.length / a.outF], true);
    adapterVals.set(a, { A, B: Bv });
    trainables.push(A, Bv);
  }
  const lin = (layer: number, role: string, l: Linear): LinearVals => {
    const a = byKey.get(`${layer}:${role}`);
    const v = a && adapterVals.get(a);
    return {
      weightInOut: c([l.weight.cols, l.weight.rows], transposed(l), `w${layer}${role}`),
      ...(l.bias ? { bias: c([l.bias.length], l.bias, `b${layer}${role}`) } : {}),
      ...(v ? { lora: { A: v.A, B: v.B, scale: o.scale } } : {}),
    };
  };
  const norm = (n: NormSpec): NormKind =>
    n.kind === 'rmsnorm'
      ? { kind: 'rmsnorm', eps: n.eps, divisor: n.divisor, ...(n.weight ? { weight: c([n.weight.length], n.weight, 'nw') } : {}) }
      : { kind: 'layernorm', eps: n.eps, weight: c([n.weight.length], n.weight, 'nw'), bias: c([n.bias.length], n.bias, 'nb') };

  // Embedding: a lookup of frozen tables, no gradient.
  const ids = g.input('ids', 'int32', [B, S]);
  const e = (m.graphTables ?? m).embedding;
  const D0 = e.tokens.cols;
  let x0 = g.node('Gather', [c([e.tokens.rows, D0], e.tokens.data, 'tok').name, ids], { axis: 0 });
  if (e.positions) {
    const pos = Int32Array.from({ length: S }, (_, i) => i + (e.positionOffset ?? 0));
    const posIds = g.initializer(g.fresh('pos_ids'), 'int32', [S], pos);
    x0 = g.node('Add', [x0, g.node('Gather', [c([e.positions.rows, e.positions.cols], e.positions.data, 'pos').name, posIds], { axis: 0 })]);
  }
  let x = t.wrap(g.node('Reshape', [x0, g.i64([N, D0])]), [N, D0]);

  const { arch } = m;
  const rot = arch.rope;
  const rotary = rot
    ? (() => {
        const tab = ropeTables(rot.theta, rot.rotaryDim, 0, S, rot.llama3);
        return { dim: rot.rotaryDim, cos: c([S, rot.rotaryDim / 2], tab.cos, 'cos'), sin: c([S, rot.rotaryDim / 2], tab.sin, 'sin') };
      })()
    : undefined;
  const shape = { batch: B, seq: S, heads: arch.numHeads, kvHeads: arch.numKvHeads, headDim: arch.headDim, rotary, mask: c([S, S], causalMask(0, S), 'mask') };
  const sc = (s: { rows: number; cols: number; data: Float32Array } | undefined) => (s ? c([s.rows, s.cols], s.data, 'shortcut') : undefined);

  m.layers.forEach((w, i) => {
    const l = linearsOf(w);
    const attnW = { q: lin(i, 'q', l.q!), k: lin(i, 'k', l.k!), v: lin(i, 'v', l.v!), o: lin(i, 'o', l.o!) };
    const mlpW = { ...(l.gate ? { gate: lin(i, 'gate', l.gate) } : {}), up: lin(i, 'up', l.up!), down: lin(i, 'down', l.down!), act: arch.activation };
    if (w.kind === 'parallel') {
      const n = normalize(t, x, norm(w.block.norm));
      x = add(t, add(t, attention(t, n, attnW, shape), mlp(t, n, mlpW)), residual(t, x, sc(w.block.shortcut)));
    } else {
      x = add(t, attention(t, normalize(t, x, norm(w.attn.norm)), attnW, shape), residual(t, x, sc(w.attn.shortcut)));
      x = add(t, mlp(t, normalize(t, x, norm(w.mlp.norm)), mlpW), residual(t, x, sc(w.mlp.shortcut)));
    }
  });

  const head = (m.graphTables ?? m).head;
  const logits = linear(t, normalize(t, x, norm(head.norm)), lin(-1, 'lm', head.lm));
  const targets = g.input('targets', 'int32', [N]);
  const weights = t.input('weights', [N]);
  const loss = reshape(t, weightedCrossEntropy(t, logits, targets, weights), [1]);
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
