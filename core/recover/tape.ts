// Reverse-mode differentiation written out as ONNX nodes. Every op (ops.ts) emits its forward nodes
// and registers a hand-written backward that, given the name of dL/d(output), emits the nodes of
// dL/d(each input). `backward(loss)` walks the ops in reverse and sums the contributions, so a
// training graph is one ONNX model: forward, then backward, with the gradients of the trainable
// inputs as outputs. Shapes are static (batch and sequence length are fixed per graph): broadcast
// gradients are reduced with known axes, and nothing depends on shape inference at run time.
//
// The dtype is a parameter so the same ops build float64 graphs for the gradient checks (central
// differences are meaningless in float32 at 1e-4) and float32 graphs for training.
import { GraphBuilder } from '../onnx/graph';

export type TapeDtype = 'float32' | 'float64';

export interface Val {
  readonly name: string;
  readonly shape: readonly number[];
  /** Whether the value depends on a trainable input (only those get gradients). */
  readonly grad: boolean;
}

/** Given dL/d(out), the names of dL/d(input i) (undefined where an input takes no gradient). */
export type Backward = (dy: string) => (string | undefined)[];

interface Op {
  inputs: Val[];
  out: Val;
  back: Backward;
}

export class TapeError extends Error {
  override name = 'TapeError';
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export class Tape {
  readonly g: GraphBuilder;
  readonly dtype: TapeDtype;
  #ops: Op[] = [];
  #consts = new Map<number, string>();

  constructor(name: string, dtype: TapeDtype) {
    this.g = new GraphBuilder(name);
    this.dtype = dtype;
  }

  /** A graph input; `trainable` ones are what backward() differentiates for. */
  input(name: string, shape: readonly number[], trainable = false): Val {
    this.g.input(name, this.dtype, [...shape]);
    return { name, shape, grad: trainable };
  }

  /** A frozen tensor baked into the graph (base weights, masks, rotary tables). */
  constant(name: string, shape: readonly number[], data: ArrayLike<number>): Val {
    const arr = this.dtype === 'float64' ? Float64Array.from(data) : Float32Array.from(data);
    this.g.initializer(name, this.dtype, [...shape], new Uint8Array(arr.buffer));
    return { name, shape, grad: false };
  }

  /** A scalar of the tape's dtype, deduplicated. */
  scalar(v: number): string {
    let n = this.#consts.get(v);
    if (!n) {
      n = this.g.fresh('c');
      const arr = this.dtype === 'float64' ? Float64Array.of(v) : Float32Array.of(v);
      this.g.initializer(n, this.dtype, [], new Uint8Array(arr.buffer));
      this.#consts.set(v, n);
    }
    return n;
  }

  /** A value produced outside the tape's ops that takes no gradient (e.g. an embedding lookup). */
  wrap(name: string, shape: readonly number[]): Val {
    return { name, shape, grad: false };
  }

  /** Records an op whose output is `name`; its gradient flows only if an input's does. */
  record(name: string, shape: readonly number[], inputs: Val[], back: Backward): Val {
    const out: Val = { name, shape, grad: inputs.some((i) => i.grad) };
    if (out.grad) this.#ops.push({ inputs, out, back });
    return out;
  }

  /**
   * Emits the backward pass of a scalar `loss` (seeded with dL/dL = 1) and returns, for each
   * trainable input, the name of its gradient (a zero tensor where the loss does not depend on it).
   */
  backward(loss: Val, wrt: Val[]): Map<string, string> {
    if (numel(loss.shape) !== 1) throw new TapeError(`backward needs a scalar loss, got shape [${loss.shape.join(', ')}]`);
    const parts = new Map<string, string[]>();
    const add = (v: string, gname: string) => {
      const list = parts.get(v);
      if (list) list.push(gname);
      else parts.set(v, [gname]);
    };
    const total = (v: string): string | undefined => {
      const list = parts.get(v);
      if (!list) return undefined;
      // A chain of Adds, not one Sum: ORT's WebGPU EP has no Sum kernel (it would run on the CPU, with copies).
      const sum = list.reduce((acc, x) => this.g.node('Add', [acc, x]));
      parts.set(v, [sum]);
      return sum;
    };
    add(loss.name, this.g.node('Expand', [this.scalar(1), this.g.i64([...loss.shape])]));
    for (let i = this.#ops.length - 1; i >= 0; i--) {
      const op = this.#ops[i];
      const dy = total(op.out.name);
      if (!dy) continue;
      const dx = op.back(dy);
      op.inputs.forEach((inp, k) => {
        const d = dx[k];
        if (inp.grad && d) add(inp.name, d);
      });
    }
    const out = new Map<string, string>();
    for (const w of wrt) out.set(w.name, total(w.name) ?? this.g.node('Expand', [this.scalar(0), this.g.i64([...w.shape])]));
    return out;
  }
}
