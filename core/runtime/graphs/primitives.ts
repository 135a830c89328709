// Building blocks shared by the block graphs: norms, linears, activations, the residual shortcut.
// Primitive opset-21 ops only, so every graph runs unchanged on CPU and WebGPU. Float32 by default;
// with `half` (SliceGPT's calibration passes on a GPU EP) activations, linear weights, the linears'
// products and the shortcut are float16, as in the reference's fp16 model, while the parts where
// float16 loses what matters stay float32, as PyTorch does them: the norms (Σx² overflows float16
// at 4096 wide), the softmax with its mask, the gelu activations and the biases' inputs.
import type { GraphBuilder } from '../../onnx/graph';
import type { Activation } from '../../model/config';
import type { NormSig } from './signature';

/** ONNX element type ids for Cast. */
const FLOAT = 1;
const FLOAT16 = 10;

/** The element type of activations and weights in a graph with or without `half`. */
export const actType = (half?: boolean) => (half ? 'float16' : 'float32') as 'float16' | 'float32';

export const toFloat = (g: GraphBuilder, x: string): string => g.node('Cast', [x], { to: FLOAT });
export const toHalf = (g: GraphBuilder, x: string): string => g.node('Cast', [x], { to: FLOAT16 });

/** A scalar constant of the activations' type (float16 constants are Casts that ORT folds). */
export const scalar = (g: GraphBuilder, v: number, half?: boolean): string => (half ? toHalf(g, g.f32(v)) : g.f32(v));

/** x: [N, D]. Weight/bias are graph inputs `${p}.weight` / `${p}.bias` (float32, also with `half`). */
/** `width`: the weight's dimension (the block's input width `Din`; a head width for Qwen3's q/k norms). */
export function norm(g: GraphBuilder, x: string, s: NormSig, p = 'norm', half?: boolean, width: string | number = 'Din'): string {
  const y = normF32(g, half ? toFloat(g, x) : x, s, p, width);
  return half ? toHalf(g, y) : y;
}

function normF32(g: GraphBuilder, x: string, s: NormSig, p: string, width: string | number): string {
  if (s.kind === 'layernorm') {
    const w = g.input(`${p}.weight`, 'float32', [width]);
    const b = g.input(`${p}.bias`, 'float32', [width]);
    return g.node('LayerNormalization', [x, w, b], { axis: -1, epsilon: { f: s.eps } });
  }
  // RMSNorm divides Σx² by the width the norm was trained at, which after slicing is not the
  // input width — so no fused (Simplified)LayerNormalization, whose mean uses the input width.
  const ss = g.node('ReduceSum', [g.node('Mul', [x, x]), g.i64([-1])], { keepdims: 1 });
  const inv = g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [g.node('Div', [ss, g.f32(s.divisor)]), g.f32(s.eps)])])]);
  const y = g.node('Mul', [x, inv]);
  return s.weight ? g.node('Mul', [y, g.input(`${p}.weight`, 'float32', [width])]) : y;
}

/**
 * y = x·Wᵀ + b with W `out × in` fed as `${p}.weight` (torch layout, no transpose copy). With `inOut`
 * the weight is fed transposed (`in × out`) and multiplied by MatMul: on WebGPU, MatMul with an
 * in×out weight runs ~2.5× faster than Gemm with transB (measured on an H100: 15 vs 6 TFLOP/s), which
 * pays when weights are uploaded once and reused over many batches (SliceGPT's calibration passes).
 * `half` (resident mode only, so always in×out): a float16 weight; the bias stays a float32 input.
 */
export function linear(g: GraphBuilder, x: string, p: string, bias: boolean, inOut = false, half?: boolean): string {
  if (inOut || half) {
    const y = g.node('MatMul', [x, g.input(`${p}.weight`, actType(half), [`${p}_in`, `${p}_out`])]);
    if (!bias) return y;
    const b = g.input(`${p}.bias`, 'float32', [`${p}_out`]);
    return g.node('Add', [y, half ? toHalf(g, b) : b]);
  }
  const w = g.input(`${p}.weight`, 'float32', [`${p}_out`, `${p}_in`]);
  const inputs = [x, w];
  if (bias) inputs.push(g.input(`${p}.bias`, 'float32', [`${p}_out`]));
  return g.node('Gemm', inputs, { transB: 1 });
}

export function activation(g: GraphBuilder, x: string, act: Activation, half?: boolean): string {
  // SiLU and ReLU are as good in float16; the gelus' polynomials and erf run in float32.
  if (half && (act === 'gelu' || act === 'gelu_new')) return toHalf(g, activation(g, toFloat(g, x), act));
  switch (act) {
    case 'relu':
      return g.node('Relu', [x]);
    case 'silu':
      return g.node('Mul', [x, g.node('Sigmoid', [x])]);
    case 'gelu': {
      // 0.5·x·(1 + erf(x/√2))
      const e = g.node('Erf', [g.node('Mul', [x, g.f32(Math.SQRT1_2)])]);
      return g.node('Mul', [g.node('Mul', [x, g.f32(0.5)]), g.node('Add', [e, g.f32(1)])]);
    }
    case 'gelu_new': {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the tanh approximation of GPT-2 / phi.
      const x3 = g.node('Mul', [g.node('Mul', [x, x]), x]);
      const inner = g.node('Mul', [g.node('Add', [x, g.node('Mul', [x3, g.f32(0.044715)])]), g.f32(Math.sqrt(2 / Math.PI))]);
      const t = g.node('Tanh', [inner]);
      return g.node('Mul', [g.node('Mul', [x, g.f32(0.5)]), g.node('Add', [t, g.f32(1)])]);
    }
  }
}

/** The residual stream entering the block: x itself, or x·S after slicing (S: d_in × d_out). */
export function residual(g: GraphBuilder, x: string, shortcut: boolean, half?: boolean): string {
  return shortcut ? g.node('MatMul', [x, g.input('shortcut', actType(half), ['Din', 'Dout'])]) : x;
}

/** [B, S, D] → [N, D] and the [B, S] shape to restore it with. */
export function flatten(g: GraphBuilder, x: string): { x2d: string; bs: string } {
  return { x2d: g.node('Flatten', [x], { axis: 2 }), bs: g.node('Shape', [x], { start: 0, end: 2 }) };
}

/** [N, D] → [B, S, D]. */
export function unflatten(g: GraphBuilder, y2d: string, bs: string, out: string): string {
  return g.node('Reshape', [y2d, g.node('Concat', [bs, g.i64([-1])], { axis: 0 })], {}, { out });
}
