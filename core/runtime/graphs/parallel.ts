// Phi's parallel block: one norm feeds both attention and the MLP; out = x·S + attn(n) + mlp(n).
import { GraphBuilder } from '../../onnx/graph';
import { attentionCore } from './attention';
import { mlpCore } from './mlp';
import { actType, flatten, norm, residual, unflatten } from './primitives';
import type { BlockSig } from './signature';

export function parallelGraph(s: Extract<BlockSig, { kind: 'parallel' }>): GraphBuilder {
  const g = new GraphBuilder('parallel');
  const x = g.input('x', actType(s.half), ['B', 'S', 'Din']);
  const { x2d, bs } = flatten(g, x);
  const n = norm(g, x2d, s.norm, 'norm', s.half);
  const a = attentionCore(g, n, bs, s.attn, s.cache, s.half);
  const m = mlpCore(g, n, s.mlp, s.half);
  unflatten(g, g.node('Add', [g.node('Add', [a, m]), residual(g, x2d, s.shortcut, s.half)]), bs, 'y');
  g.output('y', actType(s.half), ['B', 'S', 'Dout']);
  return g;
}
