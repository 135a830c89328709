// The MLP block: norm → act(gate(x))·up(x) (gated, SwiGLU) or act(fc1(x)) → down/fc2 → + residual.
import { GraphBuilder } from '../../onnx/graph';
import { activation, actType, flatten, linear, norm, residual, unflatten } from './primitives';
import type { BlockSig, MlpCoreSig } from './signature';

/** MLP on normalized activations n: [N, Din]; returns [N, Dout]. */
export function mlpCore(g: GraphBuilder, n: string, s: MlpCoreSig, half?: boolean): string {
  const lin = (x: string, p: 'gate' | 'up' | 'down') => linear(g, x, p, s.bias[p], s.inOut, half);
  const h = s.gated ? g.node('Mul', [activation(g, lin(n, 'gate'), s.act, half), lin(n, 'up')]) : activation(g, lin(n, 'up'), s.act, half);
  return lin(h, 'down');
}

export function mlpGraph(s: Extract<BlockSig, { kind: 'mlp' }>): GraphBuilder {
  const g = new GraphBuilder('mlp');
  const x = g.input('x', actType(s.half), ['B', 'S', 'Din']);
  const { x2d, bs } = flatten(g, x);
  const y = mlpCore(g, norm(g, x2d, s.norm, 'norm', s.half), s.mlp, s.half);
  unflatten(g, g.node('Add', [y, residual(g, x2d, s.shortcut, s.half)]), bs, 'y');
  g.output('y', actType(s.half), ['B', 'S', 'Dout']);
  return g;
}
