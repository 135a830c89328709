// The pieces of a decoder block, composed from the differentiable ops (ops.ts): norms, the linear with
// a LoRA branch, rotary embedding, causal attention with grouped KV heads, the MLP activations. Their
// backward is the ops' backward; the gradient checks cover each piece as a whole too.
import type { Activation } from '../model/config';
import { add, addScalar, concat, div, matmul, matmulFrozenT, mul, reduceMean, reduceSum, reshape, scale, slice, softmax, sub, transpose, unary } from './ops';
import type { Tape, Val } from './tape';

export type NormKind = { kind: 'rmsnorm'; eps: number; divisor: number; weight?: Val } | { kind: 'layernorm'; eps: number; weight: Val; bias: Val };

/** x: [N, D] normalized over the last axis. RMSNorm divides Σx² by `divisor` (the width it was trained at). */
export function normalize(t: Tape, x: Val, n: NormKind): Val {
  if (n.kind === 'rmsnorm') {
    const ms = scale(t, reduceSum(t, mul(t, x, x), [-1]), 1 / n.divisor);
    const y = mul(t, x, unary(t, 'Reciprocal', unary(t, 'Sqrt', addScalar(t, ms, n.eps))));
    return n.weight ? mul(t, y, n.weight) : y;
  }
  const c = sub(t, x, reduceMean(t, x, [-1]));
  const v = reduceMean(t, mul(t, c, c), [-1]);
  const y = div(t, c, unary(t, 'Sqrt', addScalar(t, v, n.eps)));
  return add(t, mul(t, y, n.weight), n.bias);
}

/** A linear with an optional LoRA branch s·(x·Aᵀ)·Bᵀ, A: [r, in], B: [out, r]. Its weight is either an
 * in × out operand of a MatMul (differentiable: the gradient checks), or a frozen out × in matrix as stored
 * (Gemm with transB: no transposed copy of W, in the graph or on the host). */
export type LinearVals = ({ weightInOut: Val } | { weightOutIn: Val }) & {
  bias?: Val;
  /** `dropMask`: [N, in] of 0 and 1/(1−p) multiplied into the branch's input only (dropout.ts). */
  lora?: { A: Val; B: Val; scale: number; dropMask?: Val };
};

export function linear(t: Tape, x: Val, l: LinearVals): Val {
  let y = 'weightOutIn' in l ? matmulFrozenT(t, x, l.weightOutIn) : matmul(t, x, l.weightInOut);
  if (l.bias) y = add(t, y, l.bias);
  if (l.lora) {
    const xa = matmul(t, l.lora.dropMask ? mul(t, x, l.lora.dropMask) : x, transpose(t, l.lora.A, [1, 0]));
    y = add(t, y, scale(t, matmul(t, xa, transpose(t, l.lora.B, [1, 0])), l.lora.scale));
  }
  return y;
}

export function activate(t: Tape, x: Val, act: Activation): Val {
  switch (act) {
    case 'relu':
      return unary(t, 'Relu', x);
    case 'silu':
      return mul(t, x, unary(t, 'Sigmoid', x));
    case 'gelu':
      return mul(t, scale(t, x, 0.5), addScalar(t, unary(t, 'Erf', scale(t, x, Math.SQRT1_2)), 1));
    case 'gelu_new': {
      const inner = scale(t, add(t, x, scale(t, mul(t, mul(t, x, x), x), 0.044715)), Math.sqrt(2 / Math.PI));
      return mul(t, scale(t, x, 0.5), addScalar(t, unary(t, 'Tanh', inner), 1));
    }
  }
}

/** Rotate-half RoPE on x: [B, H, S, d] over its first rotaryDim dims; cos/sin: [S, rotaryDim/2] constants. */
export function rope(t: Tape, x: Val, rotaryDim: number, cos: Val, sin: Val): Val {
  const d = x.shape[3];
  const half = rotaryDim / 2;
  const x1 = slice(t, x, 3, 0, half);
  const x2 = slice(t, x, 3, half, rotaryDim);
  const r1 = sub(t, mul(t, x1, cos), mul(t, x2, sin));
  const r2 = add(t, mul(t, x2, cos), mul(t, x1, sin));
  return concat(t, rotaryDim < d ? [r1, r2, slice(t, x, 3, rotaryDim, d)] : [r1, r2], 3);
}

export interface AttentionShape {
  batch: number;
  seq: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  rotary?: { dim: number; cos: Val; sin: Val };
  /** [S, S]: 0 where a query sees a key, a large negative elsewhere. */
  mask: Val;
}

/** Causal attention on normalized n: [B·S, Din] → o-projected [B·S, Dout]. */
export function attention(t: Tape, n: Val, w: { q: LinearVals; k: LinearVals; v: LinearVals; o: LinearVals }, s: AttentionShape): Val {
  const { batch: B, seq: S, heads: H, kvHeads: Hkv, headDim: d } = s;
  const G = H / Hkv;
  const heads = (y: Val, h: number) => transpose(t, reshape(t, y, [B, S, h, d]), [0, 2, 1, 3]);
  let q = heads(linear(t, n, w.q), H);
  let k = heads(linear(t, n, w.k), Hkv);
  const v = heads(linear(t, n, w.v), Hkv);
  if (s.rotary) {
    q = rope(t, q, s.rotary.dim, s.rotary.cos, s.rotary.sin);
    k = rope(t, k, s.rotary.dim, s.rotary.cos, s.rotary.sin);
  }
  // GQA without copies: queries [B, Hkv, G, S, d] against keys [B, Hkv, 1, d, S] (broadcast over G).
  const q5 = reshape(t, scale(t, q, 1 / Math.sqrt(d)), [B, Hkv, G, S, d]);
  const kT = reshape(t, transpose(t, k, [0, 1, 3, 2]), [B, Hkv, 1, d, S]);
  const p = softmax(t, add(t, matmul(t, q5, kT), s.mask));
  const o5 = matmul(t, p, reshape(t, v, [B, Hkv, 1, S, d]));
  const o = reshape(t, transpose(t, reshape(t, o5, [B, H, S, d]), [0, 2, 1, 3]), [B * S, H * d]);
  return linear(t, o, w.o);
}

export interface MlpVals {
  gate?: LinearVals;
  up: LinearVals;
  down: LinearVals;
  act: Activation;
}

export function mlp(t: Tape, n: Val, w: MlpVals): Val {
  const h = w.gate ? mul(t, activate(t, linear(t, n, w.gate), w.act), linear(t, n, w.up)) : activate(t, linear(t, n, w.up), w.act);
  return linear(t, h, w.down);
}

/** The residual entering a block: x, or x·S after slicing (S: d_in × d_out, frozen). */
export function residual(t: Tape, x: Val, shortcut?: Val): Val {
  return shortcut ? matmul(t, x, shortcut) : x;
}
