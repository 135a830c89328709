// Token embedding lookup (a tied one times its projection), plus learned absolute positions (opt: row = position + offset).
// Indices are int32: WebGPU has no native int64.
import { GraphBuilder } from '../../onnx/graph';
import { actType, toHalf } from './primitives';
import type { BlockSig } from './signature';

export function embedGraph(s: Extract<BlockSig, { kind: 'embed' }>): GraphBuilder {
  const g = new GraphBuilder('embed');
  const ids = g.input('ids', 'int32', ['B', 'S']);
  const tokens = g.input('tokens', 'float32', ['V', 'D']);
  let y = g.node('Gather', [tokens, ids], { axis: 0 });
  // A tied embedding stored once: the source's rows times the slice's D×d factor (core/slicegpt/tied.ts).
  if (s.projection) y = g.node('MatMul', [y, g.input('projection', 'float32', ['D', 'Dp'])]);
  if (s.positions) {
    // Position ids are an input so that decoding (which starts past 0) uses the same graph.
    const pos = g.input('position_ids', 'int32', ['S']);
    const table = g.input('positions', 'float32', ['P', s.projection ? 'Dp' : 'D']);
    y = g.node('Add', [y, g.node('Gather', [table, g.node('Add', [pos, g.i32(s.offset)])], { axis: 0 })]);
  }
  // `half`: the tables stay float32 (the sum of token and position rows is rounded once).
  if (s.half) y = toHalf(g, y);
  g.node('Identity', [y], {}, { out: 'y' });
  g.output('y', actType(s.half), ['B', 'S', s.projection ? 'Dp' : 'D']);
  return g;
}
