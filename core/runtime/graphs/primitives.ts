// Building blocks shared by the block graphs: norms, linears, activations, the residual shortcut.
// Primitive opset-21 ops only, all float32, so every graph runs unchanged on CPU and WebGPU.
import type { GraphBuilder } from '../../onnx/graph';
import type { Activation } from '../../model/config';
import type { NormSig } from './signature';

/** x: [N, D]. Weight/bias are graph inputs `${p}.weight` / `${p}.bias`. */
export function norm(g: GraphBuilder, x: string, s: NormSig, p = 'norm'): string {
  if (s.kind === 'layernorm') {
    const w = g.input(`${p}.weight`, 'float32', ['Din']);
    const b = g.input(`${p}.bias`, 'float32', ['Din']);
    return g.node('LayerNormalization', [x, w, b], { axis: -1, epsilon: { f: s.eps } });
  }
  // RMSNorm divides Σx² by the width the norm was trained at, which after slicing is not the
  // input width — so no fused (Simplified)LayerNormalization, whose mean uses the input width.
  const ss = g.node('ReduceSum', [g.node('Mul', [x, x]), g.i64([-1])], { keepdims: 1 });
  const inv = g.node('Reciprocal', [g.node('Sqrt', [g.node('Add', [g.node('Div', [ss, g.f32(s.divisor)]), g.f32(s.eps)])])]);
  const y = g.node('Mul', [x, inv]);
  return s.weight ? g.node('Mul', [y, g.input(`${p}.weight`, 'float32', ['Din'])]) : y;
}

/**
 * y = x·Wᵀ + b with W `out × in` fed as `${p}.weight` (torch layout, no transpose copy). With `inOut`
 * the weight is fed transposed (`in × out`) and multiplied by MatMul: on WebGPU, MatMul with an
 * in×out weight runs ~2.5× faster than Gemm with transB (measured on an H100: 15 vs 6 TFLOP/s), which
 * pays when weights are uploaded once and reused over many batches (SliceGPT's calibration passes).
 */
export function linear(g: GraphBuilder, x: string, p: string, bias: boolean, inOut = false): string {
  if (inOut) {
    const y = g.node('MatMul', [x, g.input(`${p}.weight`, 'float32', [`${p}_in`, `${p}_out`])]);
    return bias ? g.node('Add', [y, g.input(`${p}.bias`, 'float32', [`${p}_out`])]) : y;
  }
  const w = g.input(`${p}.weight`, 'float32', [`${p}_out`, `${p}_in`]);
  const inputs = [x, w];
  if (bias) inputs.push(g.input(`${p}.bias`, 'float32', [`${p}_out`]));
  return g.node('Gemm', inputs, { transB: 1 });
}

export function activation(g: GraphBuilder, x: string, act: Activation): string {
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
export function residual(g: GraphBuilder, x: string, shortcut: boolean): string {
  return shortcut ? g.node('MatMul', [x, g.input('shortcut', 'float32', ['Din', 'Dout'])]) : x;
}

/** [B, S, D] → [N, D] and the [B, S] shape to restore it with. */
export function flatten(g: GraphBuilder, x: string): { x2d: string; bs: string } {
  return { x2d: g.node('Flatten', [x], { axis: 2 }), bs: g.node('Shape', [x], { start: 0, end: 2 }) };
}

/** [N, D] → [B, S, D]. */
export function unflatten(g: GraphBuilder, y2d: string, bs: string, out: string): string {
  return g.node('Reshape', [y2d, g.node('Concat', [bs, g.i64([-1])], { axis: 0 })], {}, { out });
}
