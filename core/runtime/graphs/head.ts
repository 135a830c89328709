// The LM head: final norm → logits, then per position logsumexp and −log p(target) computed in the
// graph, so only 2 floats per position leave it unless full logits are asked for.
import { GraphBuilder } from '../../onnx/graph';
import { flatten, linear, norm } from './primitives';
import type { BlockSig } from './signature';

export function headGraph(s: Extract<BlockSig, { kind: 'head' }>): GraphBuilder {
  const g = new GraphBuilder('head');
  const x = g.input('x', 'float32', ['B', 'S', 'D']);
  const { x2d } = flatten(g, x);
  const h = linear(g, norm(g, x2d, s.norm), 'lm', s.bias); // [N, V], or [N, D] before a tied vocab table
  // Tied (core/slicegpt/tied.ts): logits = h·Eᵀ with E the embedding's V×D table, stored once.
  const logits = s.vocab ? g.node('Gemm', [h, g.input('vocab', 'float32', ['V', 'D'])], { transB: 1 }) : h;
  // Stable logsumexp: max-shifted, so it is exact on every EP whatever ReduceLogSumExp does.
  const m = g.node('ReduceMax', [logits, g.i64([-1])], { keepdims: 1 });
  const sum = g.node('ReduceSum', [g.node('Exp', [g.node('Sub', [logits, m])]), g.i64([-1])], { keepdims: 1 });
  const lse = g.node('Add', [g.node('Log', [sum]), m]); // [N, 1]
  g.node('Squeeze', [lse, g.i64([1])], {}, { out: 'logsumexp' });
  g.output('logsumexp', 'float32', ['N']);
  if (s.targets) {
    // Targets arrive clamped to ≥ 0; the runner writes NaN where the caller passed −1.
    const t = g.input('targets', 'int32', ['N']);
    const picked = g.node('GatherElements', [logits, g.node('Unsqueeze', [t, g.i64([1])])], { axis: 1 });
    g.node('Squeeze', [g.node('Sub', [lse, picked]), g.i64([1])], {}, { out: 'nll' });
    g.output('nll', 'float32', ['N']);
  }
  if (s.logits) {
    g.node('Identity', [logits], {}, { out: 'logits' });
    g.output('logits', 'float32', ['N', 'V']);
  }
  return g;
}
