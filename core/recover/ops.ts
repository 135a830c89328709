// The differentiable ops a transformer block needs, each as its forward ONNX nodes plus a hand-written
// backward (tape.ts). Broadcasting follows ONNX/numpy; a broadcast input's gradient is summed back to
// its own shape (unbroadcast). Every backward here is checked against central differences in float64
// (test/recover/gradcheck.test.ts).
import { numel, TapeError, type Tape, type Val } from './tape';

const ONNX_TYPE = { float32: 1, float64: 11 } as const;

function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new TapeError(`shapes [${a.join(', ')}] and [${b.join(', ')}] do not broadcast`);
    out.push(Math.max(x, y));
  }
  return out;
}

/** Sums a gradient of shape `from` back to the shape `to` it was broadcast from. */
function unbroadcast(t: Tape, d: string, from: readonly number[], to: readonly number[]): string {
  const lead = from.length - to.length;
  const axes: number[] = [];
  for (let i = 0; i < from.length; i++) if (i < lead || (to[i - lead] === 1 && from[i] !== 1)) axes.push(i);
  if (axes.length === 0) return d;
  const s = t.g.node('ReduceSum', [d, t.g.i64(axes)], { keepdims: 1 });
  return t.g.node('Reshape', [s, t.g.i64([...to])]);
}

const out = (t: Tape, op: string) => t.g.fresh(op.toLowerCase());

function binary(t: Tape, op: 'Add' | 'Sub' | 'Mul' | 'Div', a: Val, b: Val): Val {
  const shape = broadcastShape(a.shape, b.shape);
  const y = t.g.node(op, [a.name, b.name], {}, { out: out(t, op) });
  return t.record(y, shape, [a, b], (dy) => {
    const g = t.g;
    const da = op === 'Add' || op === 'Sub' ? dy : op === 'Mul' ? g.node('Mul', [dy, b.name]) : g.node('Div', [dy, b.name]);
    const db = op === 'Add' ? dy : op === 'Sub' ? g.node('Neg', [dy]) : op === 'Mul' ? g.node('Mul', [dy, a.name]) : g.node('Neg', [g.node('Div', [g.node('Mul', [dy, y]), b.name])]);
    return [a.grad ? unbroadcast(t, da, shape, a.shape) : undefined, b.grad ? unbroadcast(t, db, shape, b.shape) : undefined];
  });
}

export const add = (t: Tape, a: Val, b: Val): Val => binary(t, 'Add', a, b);
export const sub = (t: Tape, a: Val, b: Val): Val => binary(t, 'Sub', a, b);
export const mul = (t: Tape, a: Val, b: Val): Val => binary(t, 'Mul', a, b);
export const div = (t: Tape, a: Val, b: Val): Val => binary(t, 'Div', a, b);

/** a·c for a constant c. */
export function scale(t: Tape, a: Val, c: number): Val {
  const k = t.scalar(c);
  const y = t.g.node('Mul', [a.name, k], {}, { out: out(t, 'scale') });
  return t.record(y, a.shape, [a], (dy) => [t.g.node('Mul', [dy, k])]);
}

/** a + c for a constant c. */
export function addScalar(t: Tape, a: Val, c: number): Val {
  const y = t.g.node('Add', [a.name, t.scalar(c)], {}, { out: out(t, 'addc') });
  return t.record(y, a.shape, [a], (dy) => [dy]);
}

type Unary = 'Exp' | 'Log' | 'Sqrt' | 'Reciprocal' | 'Sigmoid' | 'Tanh' | 'Relu' | 'Neg' | 'Erf';

export function unary(t: Tape, op: Unary, a: Val): Val {
  const g = t.g;
  // Erf has no float64 kernel on the CPU EP: float64 graphs evaluate it in float32.
  const y = op === 'Erf' && t.dtype === 'float64' ? g.node('Cast', [g.node('Erf', [g.node('Cast', [a.name], { to: ONNX_TYPE.float32 })])], { to: ONNX_TYPE.float64 }, { out: out(t, op) }) : g.node(op, [a.name], {}, { out: out(t, op) });
  return t.record(y, a.shape, [a], (dy) => {
    const one = t.scalar(1);
    switch (op) {
      case 'Exp':
        return [g.node('Mul', [dy, y])];
      case 'Log':
        return [g.node('Div', [dy, a.name])];
      case 'Sqrt':
        return [g.node('Div', [g.node('Mul', [dy, t.scalar(0.5)]), y])];
      case 'Reciprocal':
        return [g.node('Neg', [g.node('Mul', [dy, g.node('Mul', [y, y])])])];
      case 'Sigmoid':
        return [g.node('Mul', [dy, g.node('Mul', [y, g.node('Sub', [one, y])])])];
      case 'Tanh':
        return [g.node('Mul', [dy, g.node('Sub', [one, g.node('Mul', [y, y])])])];
      case 'Relu':
        return [g.node('Where', [g.node('Greater', [a.name, t.scalar(0)]), dy, t.scalar(0)])];
      case 'Neg':
        return [g.node('Neg', [dy])];
      case 'Erf': {
        // d erf(x)/dx = 2/√π · exp(−x²)
        const e = g.node('Exp', [g.node('Neg', [g.node('Mul', [a.name, a.name])])]);
        return [g.node('Mul', [dy, g.node('Mul', [e, t.scalar(2 / Math.sqrt(Math.PI))])])];
      }
    }
  });
}

function transposeLast2(t: Tape, name: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return t.g.node('Transpose', [name], { perm });
}

/** a: [..., m, k] · b: [..., k, n] with batch broadcasting (b may be 2-D: a linear's weight). */
export function matmul(t: Tape, a: Val, b: Val): Val {
  if (a.shape.length < 2 || b.shape.length < 2) throw new TapeError('matmul needs operands of rank ≥ 2');
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) throw new TapeError(`matmul: inner sizes ${k} and ${k2} differ`);
  const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const shape = [...batch, m, n];
  const y = t.g.node('MatMul', [a.name, b.name], {}, { out: out(t, 'matmul') });
  return t.record(y, shape, [a, b], (dy) => {
    const g = t.g;
    const da = a.grad ? unbroadcast(t, g.node('MatMul', [dy, transposeLast2(t, b.name, b.shape.length)]), [...batch, m, k], a.shape) : undefined;
    let db: string | undefined;
    if (b.grad) {
      if (b.shape.length === 2) {
        // A linear's weight: one product over all rows instead of a batched product and a sum.
        const a2 = g.node('Reshape', [a.name, g.i64([-1, k])]);
        const d2 = g.node('Reshape', [dy, g.i64([-1, n])]);
        db = g.node('MatMul', [g.node('Transpose', [a2], { perm: [1, 0] }), d2]);
      } else db = unbroadcast(t, g.node('MatMul', [transposeLast2(t, a.name, a.shape.length), dy]), [...batch, k, n], b.shape);
    }
    return [da, db];
  });
}

/** x [N, k] · Wᵀ for a frozen W [n, k] as stored (Gemm, transB): the backward needs only dx = dy · W. */
export function matmulFrozenT(t: Tape, x: Val, w: Val): Val {
  if (x.shape.length !== 2 || w.shape.length !== 2) throw new TapeError('matmulFrozenT needs 2-D operands');
  if (w.grad) throw new TapeError('matmulFrozenT: the weight must be frozen');
  if (x.shape[1] !== w.shape[1]) throw new TapeError(`matmulFrozenT: inner sizes ${x.shape[1]} and ${w.shape[1]} differ`);
  const y = t.g.node('Gemm', [x.name, w.name], { transB: 1 }, { out: out(t, 'gemm') });
  return t.record(y, [x.shape[0], w.shape[0]], [x, w], (dy) => [t.g.node('MatMul', [dy, w.name]), undefined]);
}

/** Sum over `axes`, keeping them as size 1. */
export function reduceSum(t: Tape, a: Val, axes: number[]): Val {
  const r = a.shape.length;
  const ax = axes.map((x) => (x < 0 ? x + r : x));
  const shape = a.shape.map((d, i) => (ax.includes(i) ? 1 : d));
  const y = t.g.node('ReduceSum', [a.name, t.g.i64(ax)], { keepdims: 1 }, { out: out(t, 'rsum') });
  return t.record(y, shape, [a], (dy) => [t.g.node('Expand', [dy, t.g.i64([...a.shape])])]);
}

export function reduceMean(t: Tape, a: Val, axes: number[]): Val {
  const r = a.shape.length;
  const count = axes.reduce((p, x) => p * a.shape[x < 0 ? x + r : x], 1);
  return scale(t, reduceSum(t, a, axes), 1 / count);
}

/** Softmax over the last axis. */
export function softmax(t: Tape, a: Val): Val {
  const y = t.g.node('Softmax', [a.name], { axis: -1 }, { out: out(t, 'softmax') });
  return t.record(y, a.shape, [a], (dy) => {
    const g = t.g;
    const s = g.node('ReduceSum', [g.node('Mul', [dy, y]), g.i64([-1])], { keepdims: 1 });
    return [g.node('Mul', [y, g.node('Sub', [dy, s])])];
  });
}

export function reshape(t: Tape, a: Val, shape: number[]): Val {
  if (numel(shape) !== numel(a.shape)) throw new TapeError(`reshape [${a.shape.join(', ')}] → [${shape.join(', ')}] changes the size`);
  const y = t.g.node('Reshape', [a.name, t.g.i64(shape)], {}, { out: out(t, 'reshape') });
  return t.record(y, shape, [a], (dy) => [t.g.node('Reshape', [dy, t.g.i64([...a.shape])])]);
}

export function transpose(t: Tape, a: Val, perm: number[]): Val {
  const y = t.g.node('Transpose', [a.name], { perm }, { out: out(t, 'transpose') });
  const inv = perm.map((_, i) => perm.indexOf(i));
  return t.record(
    y,
    perm.map((p) => a.shape[p]),
    [a],
    (dy) => [t.g.node('Transpose', [dy], { perm: inv })],
  );
}

/** a[…, start:end, …] along `axis`; the backward pads the gradient with zeros. */
export function slice(t: Tape, a: Val, axis: number, start: number, end: number): Val {
  const r = a.shape.length;
  const ax = axis < 0 ? axis + r : axis;
  const shape = a.shape.map((d, i) => (i === ax ? end - start : d));
  const y = t.g.node('Slice', [a.name, t.g.i64([start]), t.g.i64([end]), t.g.i64([ax])], {}, { out: out(t, 'slice') });
  return t.record(y, shape, [a], (dy) => {
    const pads = new Array<number>(2 * r).fill(0);
    pads[ax] = start;
    pads[r + ax] = a.shape[ax] - end;
    return [t.g.node('Pad', [dy, t.g.i64(pads), t.scalar(0)])];
  });
}

export function concat(t: Tape, parts: Val[], axis: number): Val {
  const r = parts[0].shape.length;
  const ax = axis < 0 ? axis + r : axis;
  const shape = parts[0].shape.map((d, i) => (i === ax ? parts.reduce((s, p) => s + p.shape[ax], 0) : d));
  const y = t.g.node(
    'Concat',
    parts.map((p) => p.name),
    { axis: ax },
    { out: out(t, 'concat') },
  );
  return t.record(y, shape, parts, (dy) => {
    let at = 0;
    return parts.map((p) => {
      const s = at;
      at += p.shape[ax];
      return p.grad ? t.g.node('Slice', [dy, t.g.i64([s]), t.g.i64([at]), t.g.i64([ax])]) : undefined;
    });
  });
}

/**
 * Σ_i w_i · (−log softmax(logits_i)[target_i]) over rows i: logits [N, V], targets int32 [N] (≥ 0),
 * w [N] (0 on padding; 1/tokens to make it a mean). The backward is the fused (softmax − onehot)·w.
 */
export function weightedCrossEntropy(t: Tape, logits: Val, targets: string, w: Val): Val {
  const g = t.g;
  const [N, V] = logits.shape;
  const m = g.node('ReduceMax', [logits.name, g.i64([-1])], { keepdims: 1 });
  const shifted = g.node('Sub', [logits.name, m]);
  const lse = g.node('Add', [g.node('Log', [g.node('ReduceSum', [g.node('Exp', [shifted]), g.i64([-1])], { keepdims: 1 })]), m]);
  const t2 = g.node('Unsqueeze', [targets, g.i64([1])]);
  const picked = g.node('GatherElements', [logits.name, t2], { axis: 1 });
  const w2 = g.node('Reshape', [w.name, g.i64([N, 1])]);
  const y = g.node('ReduceSum', [g.node('Mul', [g.node('Sub', [lse, picked]), w2])], { keepdims: 0 }, { out: out(t, 'xent') });
  return t.record(y, [], [logits, w], (dy) => {
    const p = g.node('Exp', [g.node('Sub', [logits.name, lse])]);
    const range = g.node('Range', [g.i32(0), g.i32(V), g.i32(1)]);
    const onehot = g.node('Cast', [g.node('Equal', [g.node('Unsqueeze', [range, g.i64([0])]), t2])], { to: ONNX_TYPE[t.dtype] });
    return [g.node('Mul', [g.node('Sub', [p, onehot]), g.node('Mul', [w2, dy])]), undefined];
  });
}
