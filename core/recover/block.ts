// One decoder block (and the head) on a tape, with the frozen tensors supplied by the caller: the
// whole-model graph bakes them in as initializers (train-graph.ts), the layer-streamed graphs feed them
// as inputs so one graph serves every block of a shape (block-graph.ts). Both paths build the block
// from this one function, so they compute the same ops in the same order.
import type { ArchSpec } from '../model/model-source';
import type { LayerWeights, Linear, Matrix, NormSpec } from '../model/weights';
import { causalMask, ropeTables } from '../runtime/rope';
import { add } from './ops';
import { attention, mlp, normalize, residual, type AttentionShape, type LinearVals, type NormKind } from './layers';
import { linearsOf, type LoraAdapter, type LoraRole } from './lora';
import type { Tape, Val } from './tape';

/** How a frozen tensor enters the graph: a constant, or an input fed per block. */
export interface Frozen {
  tensor(label: string, shape: number[], data: Float32Array): Val;
  /** A linear's weight, out × in as stored. */
  weight(label: string, w: Matrix): Val;
}

/** One adapter as graph values; `dropMask` (dropout.ts) multiplies its branch's input. */
export type LoraVals = { A: Val; B: Val; dropMask?: Val };

/** The adapters of one block as graph values, by role. */
export type BlockLora = Partial<Record<LoraRole, LoraVals>>;

export function frozenLinear(f: Frozen, label: string, l: Linear, lora: LoraVals | undefined, scale: number): LinearVals {
  return {
    weightOutIn: f.weight(`${label}.w`, l.weight),
    ...(l.bias ? { bias: f.tensor(`${label}.b`, [l.bias.length], l.bias) } : {}),
    ...(lora ? { lora: { ...lora, scale } } : {}),
  };
}

export function frozenNorm(f: Frozen, label: string, n: NormSpec): NormKind {
  return n.kind === 'rmsnorm'
    ? { kind: 'rmsnorm', eps: n.eps, divisor: n.divisor, ...(n.weight ? { weight: f.tensor(`${label}.g`, [n.weight.length], n.weight) } : {}) }
    : { kind: 'layernorm', eps: n.eps, weight: f.tensor(`${label}.g`, [n.weight.length], n.weight), bias: f.tensor(`${label}.b`, [n.bias.length], n.bias) };
}

/** The batch/sequence constants every block shares (rotary tables, causal mask), built once per graph. */
export function attentionShape(t: Tape, arch: ArchSpec, batch: number, seq: number): AttentionShape {
  const rot = arch.rope;
  const rotary = rot
    ? (() => {
        const tab = ropeTables(rot.theta, rot.rotaryDim, 0, seq, rot.llama3);
        return { dim: rot.rotaryDim, cos: t.constant('rope.cos', [seq, rot.rotaryDim / 2], tab.cos), sin: t.constant('rope.sin', [seq, rot.rotaryDim / 2], tab.sin) };
      })()
    : undefined;
  return { batch, seq, heads: arch.numHeads, kvHeads: arch.numKvHeads, headDim: arch.headDim, rotary, mask: t.constant('mask', [seq, seq], causalMask(0, seq)) };
}

/** x: [N, d_in] → the block's output [N, d_out] (the residual stream after both sub-blocks). `label`
 * prefixes the frozen tensors' names (a layer-free label lets blocks of one shape share a graph). */
export function blockOnTape(t: Tape, f: Frozen, x: Val, w: LayerWeights, label: string, lora: BlockLora, scale: number, shape: AttentionShape, arch: ArchSpec): Val {
  const l = linearsOf(w);
  const lin = (role: LoraRole) => frozenLinear(f, `${label}.${role}`, l[role]!, lora[role], scale);
  const attnW = { q: lin('q'), k: lin('k'), v: lin('v'), o: lin('o') };
  const mlpW = { ...(l.gate ? { gate: lin('gate') } : {}), up: lin('up'), down: lin('down'), act: arch.activation };
  const sc = (name: string, s: Matrix | undefined) => (s ? f.tensor(`${label}.${name}`, [s.rows, s.cols], s.data) : undefined);
  if (w.kind === 'parallel') {
    const n = normalize(t, x, frozenNorm(f, `${label}.norm`, w.block.norm));
    return add(t, add(t, attention(t, n, attnW, shape), mlp(t, n, mlpW)), residual(t, x, sc('shortcut', w.block.shortcut)));
  }
  const h = add(t, attention(t, normalize(t, x, frozenNorm(f, `${label}.attn_norm`, w.attn.norm)), attnW, shape), residual(t, x, sc('attn_shortcut', w.attn.shortcut)));
  return add(t, mlp(t, normalize(t, h, frozenNorm(f, `${label}.mlp_norm`, w.mlp.norm)), mlpW), residual(t, h, sc('mlp_shortcut', w.mlp.shortcut)));
}

/** The adapters of `layer` as trainable graph inputs, named by `name` (the whole graph: after the adapter's
 * key; a block graph: after its role, so every block of a shape has the same graph). With `dropout`, each
 * adapter also gets a fed [rows, in] mask input, named by `dropout.name`: both engines build the LoRA input
 * here, so both see the same masks. */
export function loraInputs(
  t: Tape,
  adapters: LoraAdapter[],
  layer: number,
  name: (a: LoraAdapter, which: 'A' | 'B') => string,
  dropout?: { rows: number; name: (a: LoraAdapter) => string },
): { lora: BlockLora; vals: { adapter: LoraAdapter; A: Val; B: Val }[] } {
  const lora: BlockLora = {};
  const vals: { adapter: LoraAdapter; A: Val; B: Val }[] = [];
  for (const a of adapters) {
    if (a.layer !== layer) continue;
    const A = t.input(name(a, 'A'), [a.A.length / a.inF, a.inF], true);
    const B = t.input(name(a, 'B'), [a.outF, a.B.length / a.outF], true);
    lora[a.role] = { A, B, ...(dropout ? { dropMask: t.input(dropout.name(a), [dropout.rows, a.inF]) } : {}) };
    vals.push({ adapter: a, A, B });
  }
  return { lora, vals };
}
