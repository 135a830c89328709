// Token embedding lookup, plus learned absolute positions (opt: row = position + offset).
// Indices are int32: WebGPU has no native int64.
import { GraphBuilder } from '../../onnx/graph';
import { actType, toHalf } from './primitives';
import type { BlockSig } from './signature';

export function embedGraph(s: Extract<BlockSig, { kind: 'embed' }>): GraphBuilder {
  const g = new GraphBuilder('embed');
  const ids = g.input('ids', 'int32', ['B', 'S']);
  const tokens = g.input('tokens', 'float32', ['V', 'D']);
  let y = g.node('Gather', [tokens, ids], { axis: 0 });
  if (s.positions) {
    // Position ids are an input so that decoding (which starts past 0) uses the same graph.
    const pos = g.input('position_ids', 'int32', ['S']);
    const table = g.input('positions', 'float32', ['P', 'D']);
    y = g.node('Add', [y, g.node('Gather', [table, g.node('Add', [pos, g.i32(s.offset)])], { axis: 0 })]);
  }
  // `half`: the tables stay float32 (the sum of token and position rows is rounded once).
  if (s.half) y = toHalf(g, y);
  g.node('Identity', [y], {}, { out: 'y' });
  g.output('y', actType(s.half), ['B', 'S', 'D']);
  return g;
}
