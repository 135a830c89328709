// Causal multi-head attention with grouped KV heads, from primitives:
// norm → q/k/v → (Qwen3: RMSNorm of each q and k head) → RoPE (rotate-half on the first rotaryDim dims) → softmax(q·kᵀ/√d + mask)·v → o.
// GQA without copying K/V: queries are viewed as [B, Hkv, G, S, d] and keys as [B, Hkv, 1, T, d],
// so MatMul broadcasts each KV head over its G query heads (head h reads KV head ⌊h/G⌋, as in HF).
import { GraphBuilder } from '../../onnx/graph';
import { actType, flatten, linear, norm, residual, scalar, toFloat, toHalf, unflatten } from './primitives';
import type { AttnCoreSig, BlockSig } from './signature';

/** Rotate-half RoPE on t: [B, H, S, d]; cos/sin: [S, rotaryDim/2] graph inputs. */
function rope(g: GraphBuilder, t: string, headDim: number, rotaryDim: number, cos: string, sin: string): string {
  const half = rotaryDim / 2;
  const slice = (a: number, b: number) => g.node('Slice', [t, g.i64([a]), g.i64([b]), g.i64([-1])]);
  const x1 = slice(0, half);
  const x2 = slice(half, rotaryDim);
  const r1 = g.node('Sub', [g.node('Mul', [x1, cos]), g.node('Mul', [x2, sin])]);
  const r2 = g.node('Add', [g.node('Mul', [x2, cos]), g.node('Mul', [x1, sin])]);
  const parts = [r1, r2];
  if (rotaryDim < headDim) parts.push(slice(rotaryDim, headDim));
  return g.node('Concat', parts, { axis: -1 });
}

/**
 * Attention on normalized activations n: [N, Din] (bs = [B, S]); returns o-projected [N, Dout].
 * With `cache`, past_k/past_v [B, Hkv, P, d] are prepended and present_k/present_v are outputs.
 * With `half`: float16 projections, RoPE and products; the scores' mask and softmax in float32.
 */
export function attentionCore(g: GraphBuilder, n: string, bs: string, s: AttnCoreSig, cache: boolean, half?: boolean): string {
  const { heads: H, kvHeads: Hkv, headDim: d, rotaryDim } = s;
  const G = H / Hkv;
  const heads = (t: string, h: number) => g.node('Transpose', [g.node('Reshape', [t, g.node('Concat', [bs, g.i64([h, d])], { axis: 0 })])], { perm: [0, 2, 1, 3] });
  let q = heads(linear(g, n, 'q', s.bias.q, s.inOut, half), H); // [B, H, S, d]
  let k = heads(linear(g, n, 'k', s.bias.k, s.inOut, half), Hkv); // [B, Hkv, S, d]
  let v = heads(linear(g, n, 'v', s.bias.v, s.inOut, half), Hkv);
  if (s.qkNormEps !== undefined) {
    // Over the last axis of [B, H, S, d]: each head alone, as transformers' Qwen3Attention normalizes [B, S, H, d].
    const headNorm = { kind: 'rmsnorm' as const, eps: s.qkNormEps, divisor: d, weight: true };
    q = norm(g, q, headNorm, 'q_norm', half, d);
    k = norm(g, k, headNorm, 'k_norm', half, d);
  }
  if (rotaryDim > 0) {
    let cos = g.input('cos', 'float32', ['S', rotaryDim / 2]);
    let sin = g.input('sin', 'float32', ['S', rotaryDim / 2]);
    if (half) [cos, sin] = [toHalf(g, cos), toHalf(g, sin)];
    q = rope(g, q, d, rotaryDim, cos, sin);
    k = rope(g, k, d, rotaryDim, cos, sin);
  }
  if (cache) {
    const pk = g.input('past_k', 'float32', ['B', Hkv, 'P', d]);
    const pv = g.input('past_v', 'float32', ['B', Hkv, 'P', d]);
    k = g.node('Concat', [pk, k], { axis: 2 }, { out: 'present_k' });
    v = g.node('Concat', [pv, v], { axis: 2 }, { out: 'present_v' });
    g.output('present_k', 'float32', ['B', Hkv, 'T', d]);
    g.output('present_v', 'float32', ['B', Hkv, 'T', d]);
  }
  // Scale q before the product (smaller than the scores); mask [S, T]: 0 or a large negative.
  const q5 = g.node('Reshape', [g.node('Mul', [q, scalar(g, 1 / Math.sqrt(d), half)]), g.i64([0, Hkv, G, -1, d])]);
  const kT = g.node('Transpose', [g.node('Unsqueeze', [k, g.i64([2])])], { perm: [0, 1, 2, 4, 3] });
  const mask = g.input('mask', 'float32', ['S', 'T']);
  const qk = g.node('MatMul', [q5, kT]);
  const scores = g.node('Add', [half ? toFloat(g, qk) : qk, mask]);
  const p32 = g.node('Softmax', [scores], { axis: -1 });
  const p = half ? toHalf(g, p32) : p32;
  const o5 = g.node('MatMul', [p, g.node('Unsqueeze', [v, g.i64([2])])]); // [B, Hkv, G, S, d]
  const o = g.node('Transpose', [g.node('Reshape', [o5, g.i64([0, H, -1, d])])], { perm: [0, 2, 1, 3] }); // [B, S, H, d]
  return linear(g, g.node('Reshape', [o, g.i64([-1, H * d])]), 'o', s.bias.o, s.inOut, half);
}

export function attentionGraph(s: Extract<BlockSig, { kind: 'attention' }>): GraphBuilder {
  const g = new GraphBuilder('attention');
  const x = g.input('x', actType(s.half), ['B', 'S', 'Din']);
  const { x2d, bs } = flatten(g, x);
  const y = attentionCore(g, norm(g, x2d, s.norm, 'norm', s.half), bs, s.attn, s.cache, s.half);
  unflatten(g, g.node('Add', [y, residual(g, x2d, s.shortcut, s.half)]), bs, 'y');
  g.output('y', actType(s.half), ['B', 'S', 'Dout']);
  return g;
}
