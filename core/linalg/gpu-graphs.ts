// The ORT sessions of the GPU-path eigensolver (gpu-eigh.ts): a handful of small float32 graphs whose
// big operands (the n×n matrix, the panels' [V W], the eigenvector matrix) stay on the execution
// provider's device between runs, and whose host inputs/outputs are O(n) per call. On the CPU EP the
// same graphs run on host tensors, which is how the tests exercise this path.
//
// Per-output locations: a graph's small results (one column, a k×k Gram matrix) come back to the host
// in the same run that leaves the big ones on the device, so each Householder column costs one run.
import ort from 'onnxruntime-node';
import { GraphBuilder } from '../onnx/graph';
import { executionProviders } from '../runtime/ep-options';
import type { ExecutionProvider } from '../runtime/contract';

export type Tensor = ort.Tensor;

/** Far past any dimension: Slice clamps it to the end. */
const END = 2 ** 40;

/** The panel state both the column and the trailing graph take: A, the panel's [V W] and [W V], the previous pair and its scatter rows. */
function panelInputs(g: GraphBuilder): void {
  g.input('A', 'float32', ['M', 'M']);
  g.input('VW', 'float32', ['M', 'K2']);
  g.input('WV', 'float32', ['M', 'K2']);
  g.input('pair', 'float32', ['M', 2]);
  g.input('S1', 'float32', [2, 'K2']);
  g.input('S2', 'float32', [2, 'K2']);
}

/** One Householder column: add the previous column's pair to [V W] and [W V], then Y = A·x − [V W]·([W V]ᵀ·x). */
function columnGraph(): GraphBuilder {
  const g = new GraphBuilder('eigh-column');
  panelInputs(g);
  g.input('x', 'float32', ['M', 2]);
  g.node('Add', ['VW', g.node('MatMul', ['pair', 'S1'])], {}, { out: 'VWo' });
  g.node('Add', ['WV', g.node('MatMul', ['pair', 'S2'])], {}, { out: 'WVo' });
  const ax = g.node('MatMul', ['A', 'x']);
  const p = g.node('Gemm', ['WVo', 'x'], { transA: 1 });
  g.node('Gemm', ['VWo', p, ax], { alpha: { f: -1 }, beta: { f: 1 } }, { out: 'Y' });
  for (const o of ['Y', 'VWo', 'WVo']) g.output(o, 'float32');
  return g;
}

/**
 * End of a panel of nb columns: add the last pair, then the next trailing matrix
 * A2 = A[nb:, nb:] − [V W][nb:]·[W V][nb:]ᵀ, its first row (= first column), VᵀV of the panel (for the
 * compact-WY T) and a zero [V W] for the next panel.
 */
function trailingGraph(nb: number): GraphBuilder {
  const g = new GraphBuilder('eigh-trailing');
  panelInputs(g);
  const vw = g.node('Add', ['VW', g.node('MatMul', ['pair', 'S1'])], {}, { out: 'VWo' });
  const wv = g.node('Add', ['WV', g.node('MatMul', ['pair', 'S2'])]);
  const a22 = g.node('Slice', ['A', g.i64([nb, nb]), g.i64([END, END]), g.i64([0, 1])]);
  const vwb = g.node('Slice', [vw, g.i64([nb]), g.i64([END]), g.i64([0])]);
  const wvb = g.node('Slice', [wv, g.i64([nb]), g.i64([END]), g.i64([0])]);
  const a2 = g.node('Gemm', [vwb, wvb, a22], { transB: 1, alpha: { f: -1 }, beta: { f: 1 } }, { out: 'A2' });
  g.node('Slice', [a2, g.i64([0]), g.i64([1]), g.i64([0])], {}, { out: 'row0' });
  const v = g.node('Slice', [vw, g.i64([0]), g.i64([nb]), g.i64([1])]);
  g.node('Gemm', [v, v], { transA: 1 }, { out: 'S' });
  g.node('Sub', [vwb, vwb], {}, { out: 'zeros' });
  for (const o of ['A2', 'VWo', 'row0', 'S', 'zeros']) g.output(o, 'float32');
  return g;
}

/** The last panel: add the last pair to [V W] and return VᵀV. */
function finalGraph(nb: number): GraphBuilder {
  const g = new GraphBuilder('eigh-final');
  g.input('VW', 'float32', ['M', 'K2']);
  g.input('pair', 'float32', ['M', 2]);
  g.input('S1', 'float32', [2, 'K2']);
  const vw = g.node('Add', ['VW', g.node('MatMul', ['pair', 'S1'])], {}, { out: 'VWo' });
  const v = g.node('Slice', [vw, g.i64([0]), g.i64([nb]), g.i64([1])]);
  g.node('Gemm', [v, v], { transA: 1 }, { out: 'S' });
  g.output('VWo', 'float32');
  g.output('S', 'float32');
  return g;
}

/**
 * One panel of the back-transformation: rows g.. of Z ← (I − V·T·Vᵀ)·Z[g:], V = the panel's first nb
 * columns of [V W]. `top` (g > 0) keeps rows 0..g−1 as they are and concatenates.
 */
function backGraph(nb: number, top: boolean): GraphBuilder {
  const g = new GraphBuilder('eigh-back');
  g.input('Z', 'float32', ['N', 'C']);
  g.input('VW', 'float32', ['M', 'K2']);
  g.input('T', 'float32', [nb, nb]);
  if (top) g.input('g', 'int64', [1]);
  const zb = top ? g.node('Slice', ['Z', 'g', g.i64([END]), g.i64([0])]) : 'Z';
  const v = g.node('Slice', ['VW', g.i64([0]), g.i64([nb]), g.i64([1])]);
  const x = g.node('Gemm', [v, zb], { transA: 1 });
  const tx = g.node('MatMul', ['T', x]);
  const y = g.node('Gemm', [v, tx, zb], { alpha: { f: -1 }, beta: { f: 1 } }, top ? {} : { out: 'Y' });
  if (top) g.node('Concat', [g.node('Slice', ['Z', g.i64([0]), 'g', g.i64([0])]), y], { axis: 0 }, { out: 'Y' });
  g.output('Y', 'float32');
  return g;
}

/** The divide and conquer's top merge: [Q1·M_top; Q2·M_bottom], the tridiagonal's eigenvectors, left on the device. */
function mergeGraph(): GraphBuilder {
  const g = new GraphBuilder('eigh-merge');
  g.input('Q1', 'float32', ['N1', 'N1']);
  g.input('Mt', 'float32', ['N1', 'M']);
  g.input('Q2', 'float32', ['N2', 'N2']);
  g.input('Mb', 'float32', ['N2', 'M']);
  g.node('Concat', [g.node('MatMul', ['Q1', 'Mt']), g.node('MatMul', ['Q2', 'Mb'])], { axis: 0 }, { out: 'Y' });
  g.output('Y', 'float32');
  return g;
}

type Kind = 'upload' | 'download' | 'column' | 'merge' | `trailing${number}` | `final${number}` | `back${number}` | `backTop${number}`;

/** Where each graph's outputs go: the big ones stay on the device, the small ones come to the host. */
const OUTPUTS: Record<string, Record<string, 'cpu' | 'gpu-buffer'>> = {
  upload: { y: 'gpu-buffer' },
  download: { y: 'cpu' },
  column: { Y: 'cpu', VWo: 'gpu-buffer', WVo: 'gpu-buffer' },
  merge: { Y: 'gpu-buffer' },
  trailing: { A2: 'gpu-buffer', VWo: 'gpu-buffer', row0: 'cpu', S: 'cpu', zeros: 'gpu-buffer' },
  final: { VWo: 'gpu-buffer', S: 'cpu' },
  back: { Y: 'gpu-buffer' },
  backTop: { Y: 'gpu-buffer' },
};

function build(kind: Kind): GraphBuilder {
  const nb = Number(kind.replace(/^\D+/, ''));
  if (kind === 'upload' || kind === 'download') {
    const g = new GraphBuilder(kind);
    g.input('x', 'float32', ['A', 'B']);
    g.node('Identity', ['x'], {}, { out: 'y' });
    g.output('y', 'float32');
    return g;
  }
  if (kind === 'column') return columnGraph();
  if (kind === 'merge') return mergeGraph();
  if (kind.startsWith('trailing')) return trailingGraph(nb);
  if (kind.startsWith('final')) return finalGraph(nb);
  return backGraph(nb, kind.startsWith('backTop'));
}

/** The sessions of one solve (cached per EP), and host↔device moves of float32 matrices. */
export class GpuLinalg {
  readonly ep: ExecutionProvider;
  readonly onDevice: boolean;
  #sessions = new Map<Kind, Promise<ort.InferenceSession>>();

  constructor(ep: ExecutionProvider) {
    this.ep = ep;
    this.onDevice = ep !== 'cpu';
  }

  session(kind: Kind): Promise<ort.InferenceSession> {
    let s = this.#sessions.get(kind);
    if (!s) {
      s = ort.InferenceSession.create(build(kind).toBytes(), {
        executionProviders: executionProviders(this.ep, { passes: true }),
        graphOptimizationLevel: 'disabled',
        ...(this.onDevice ? { preferredOutputLocation: OUTPUTS[kind.replace(/\d+$/, '')] } : {}),
      });
      s.catch(() => this.#sessions.delete(kind));
      this.#sessions.set(kind, s);
    }
    return s;
  }

  async run(kind: Kind, feeds: Record<string, Tensor>): Promise<Record<string, Tensor>> {
    return (await this.session(kind)).run(feeds);
  }

  /** A host rows×cols matrix as a device tensor (on the CPU EP: the host tensor itself, no copy). */
  async upload(data: Float32Array, rows: number, cols: number): Promise<Tensor> {
    const x = host(data, [rows, cols]);
    if (!this.onDevice) return x;
    return (await this.run('upload', { x })).y;
  }

  /** A tensor's values on the host (a download for device tensors). */
  async download(t: Tensor): Promise<Float32Array> {
    if (t.location === 'cpu') return t.data as Float32Array;
    return (await this.run('download', { x: t })).y.data as Float32Array;
  }

  async dispose(): Promise<void> {
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const s of all) await (await s.catch(() => null))?.release();
  }
}

export function host(data: Float32Array, dims: number[]): Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function int64(values: number[]): Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [values.length]);
}

/** Frees a device tensor's buffer (host tensors are left to the garbage collector). */
export function free(t: Tensor | undefined): void {
  if (t && t.location !== 'cpu') t.dispose();
}
