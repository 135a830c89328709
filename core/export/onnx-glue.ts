// The small graphs around the blocks in an exported decoder: turning the loader-facing inputs
// (input_ids, attention_mask, position_ids — int64, per batch row) into what the runtime's block graphs
// take (int32 ids, RoPE cos/sin, an additive mask), and reshaping the head's logits to [batch, seq, vocab].
import { GraphBuilder } from '../onnx/graph';
import { DataType } from '../onnx/proto';
import { MASKED } from '../runtime/rope';

/**
 * Inputs: input_ids [B, S], attention_mask [B, T], position_ids [B, S] (int64), past [B, Hkv, P, d] (any
 * layer's past keys, read for P only), and with RoPE the tables cos_table/sin_table [maxPositions, r/2].
 * Outputs: ids32, pos32 [B, S] int32; cos, sin [B, 1, S, r/2] (broadcast over heads); mask [B, 1, 1, S, T]
 * (broadcast over KV heads and query groups): 0 where query s (at cache slot P+s) may read key t, i.e.
 * t ≤ P+s and attention_mask[b, t] = 1, else the runtime's large negative.
 *
 * RoPE is a lookup in tables computed exactly as the runtime computes its own (core/runtime/rope.ts), so
 * rotations match the app's to the last bit; positions come from position_ids, so left-padded batches work.
 */
export function positionalGraph(rope: boolean): GraphBuilder {
  const g = new GraphBuilder('positional');
  const ids = g.input('input_ids', 'int64', ['B', 'S']);
  const am = g.input('attention_mask', 'int64', ['B', 'T']);
  const pos = g.input('position_ids', 'int64', ['B', 'S']);
  const past = g.input('past', 'float32', ['B', 'H', 'P', 'D']);
  g.node('Cast', [ids], { to: DataType.int32 }, { out: 'ids32' });
  g.node('Cast', [pos], { to: DataType.int32 }, { out: 'pos32' });
  g.output('ids32', 'int32', ['B', 'S']);
  g.output('pos32', 'int32', ['B', 'S']);
  if (rope) {
    for (const t of ['cos', 'sin']) {
      const table = g.input(`${t}_table`, 'float32', ['MaxPos', 'R']);
      g.node('Unsqueeze', [g.node('Gather', [table, pos], { axis: 0 }), g.i64([1])], {}, { out: t });
      g.output(t, 'float32', ['B', 1, 'S', 'R']);
    }
  }
  const scalar = (t: string) => g.node('Squeeze', [t, g.i64([0])]);
  const S = g.node('Shape', [ids], { start: 1, end: 2 });
  const P = g.node('Shape', [past], { start: 2, end: 3 });
  const T = scalar(g.node('Add', [P, S]));
  const one = g.i64([1], true);
  const kpos = g.node('Range', [g.i64([0], true), T, one]); // [T]
  const qpos = g.node('Range', [scalar(P), T, one]); // [S]: cache slots of the new tokens
  const causal = g.node('LessOrEqual', [g.node('Unsqueeze', [kpos, g.i64([0])]), g.node('Unsqueeze', [qpos, g.i64([1])])]); // [S, T]
  const keep = g.node('Unsqueeze', [g.node('Cast', [am], { to: DataType.bool }), g.i64([1, 2, 3])]); // [B, 1, 1, 1, T]
  g.node('Where', [g.node('And', [causal, keep]), g.f32(0), g.f32(MASKED)], {}, { out: 'mask' });
  g.output('mask', 'float32', ['B', 1, 1, 'S', 'T']);
  return g;
}

/** logits2d [B·S, V] → logits [B, S, V], the batch and sequence taken from input_ids. */
export function logitsGraph(): GraphBuilder {
  const g = new GraphBuilder('logits');
  const l = g.input('logits2d', 'float32', ['N', 'V']);
  const bs = g.node('Shape', [g.input('input_ids', 'int64', ['B', 'S'])]);
  g.node('Reshape', [l, g.node('Concat', [bs, g.i64([-1])], { axis: 0 })], {}, { out: 'logits' });
  g.output('logits', 'float32', ['B', 'S', 'V']);
  return g;
}
