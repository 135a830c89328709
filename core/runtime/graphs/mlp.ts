// The MLP block: norm → act(gate(x))·up(x) (gated, SwiGLU) or act(fc1(x)) → down/fc2 → + residual.
import { GraphBuilder } from '../../onnx/graph';
import { activation, flatten, linear, norm, residual, unflatten } from './primitives';
import type { BlockSig, MlpCoreSig } from './signature';

/** MLP on normalized activations n: [N, Din]; returns [N, Dout]. */
export function mlpCore(g: GraphBuilder, n: string, s: MlpCoreSig): string {
  const h = s.gated
    ? g.node('Mul', [activation(g, linear(g, n, 'gate', s.bias.gate, s.inOut), s.act), linear(g, n, 'up', s.bias.up, s.inOut)])
    : activation(g, linear(g, n, 'up', s.bias.up, s.inOut), s.act);
  return linear(g, h, 'down', s.bias.down, s.inOut);
}

export function mlpGraph(s: Extract<BlockSig, { kind: 'mlp' }>): GraphBuilder {
  const g = new GraphBuilder('mlp');
  const x = g.input('x', 'float32', ['B', 'S', 'Din']);
  const { x2d, bs } = flatten(g, x);
  const y = mlpCore(g, norm(g, x2d, s.norm), s.mlp);
  unflatten(g, g.node('Add', [y, residual(g, x2d, s.shortcut)]), bs, 'y');
  g.output('y', 'float32', ['B', 'S', 'Dout']);
  return g;
}
