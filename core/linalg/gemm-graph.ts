// Tiny ONNX graphs (Gemm / MatMul nodes) for the linear-algebra helpers, hand-encoded with protobufjs'
// Writer so that this room depends on nothing but the wire format. Field numbers follow onnx.proto.
// (core/onnx has a general graph builder; these graphs are a few nodes with symbolic dims, so the
// few bytes below are simpler than depending on it. Merge later if wanted.)
import protobuf from 'protobufjs';

export type LinalgDtype = 'float32' | 'float64';

const ELEM: Record<LinalgDtype, number> = { float32: 1, float64: 11 };
const ATTR_FLOAT = 1;
const ATTR_INT = 2;

type W = protobuf.Writer;

function message(w: W, field: number, body: (w: W) => void): void {
  w.uint32((field << 3) | 2).fork();
  body(w);
  w.ldelim();
}

function str(w: W, field: number, s: string): void {
  w.uint32((field << 3) | 2).string(s);
}

/** ValueInfoProto for a rank-2 tensor with symbolic dims. */
function valueInfo(w: W, field: number, name: string, dtype: LinalgDtype, dims: [string, string]): void {
  message(w, field, (v) => {
    str(v, 1, name);
    message(v, 2, (t) =>
      message(t, 1, (tt) => {
        tt.uint32((1 << 3) | 0).int32(ELEM[dtype]);
        message(tt, 2, (shape) => {
          for (const d of dims) message(shape, 1, (dim) => str(dim, 2, d));
        });
      }),
    );
  });
}

function attrInt(w: W, name: string, i: number): void {
  message(w, 5, (a) => {
    str(a, 1, name);
    a.uint32((3 << 3) | 0).int64(i);
    a.uint32((20 << 3) | 0).int32(ATTR_INT);
  });
}

function attrFloat(w: W, name: string, f: number): void {
  message(w, 5, (a) => {
    str(a, 1, name);
    a.uint32((2 << 3) | 5).float(f);
    a.uint32((20 << 3) | 0).int32(ATTR_FLOAT);
  });
}

export interface GraphNode {
  /** Concat (attribute axis) joins small operands so that one product serves several vectors. */
  op: 'Gemm' | 'MatMul' | 'Concat';
  inputs: string[];
  output: string;
  /** Integers are INT attributes; { f } are FLOAT attributes (float32 on the wire). */
  attrs?: Record<string, number | { f: number }>;
}

export interface GraphSpec {
  dtype: LinalgDtype;
  /** Graph inputs with symbolic dims (rank 2). */
  inputs: { name: string; dims: [string, string] }[];
  outputs: { name: string; dims: [string, string] }[];
  nodes: GraphNode[];
  /**
   * Run thousands of times back to back (e.g. once per matrix column): its session's threads may
   * spin between runs when SLICE_LINALG_SPIN=1 (see matmul.ts).
   */
  hot?: boolean;
}

/** A small graph of Gemm/MatMul/Concat nodes over one dtype, every dim symbolic (one session, all shapes). */
export function graphModel(spec: GraphSpec): Uint8Array {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int64(8); // ir_version
  str(w, 2, 'slice-studio-linalg');
  message(w, 8, (o) => {
    str(o, 1, '');
    o.uint32((2 << 3) | 0).int64(13);
  });
  message(w, 7, (g) => {
    spec.nodes.forEach((node, k) => {
      message(g, 1, (n) => {
        for (const i of node.inputs) str(n, 1, i);
        str(n, 2, node.output);
        str(n, 3, `n${k}`);
        str(n, 4, node.op);
        for (const [name, v] of Object.entries(node.attrs ?? {})) {
          if (typeof v === 'number') attrInt(n, name, v);
          else attrFloat(n, name, v.f);
        }
      });
    });
    str(g, 2, 'linalg');
    for (const i of spec.inputs) valueInfo(g, 11, i.name, spec.dtype, i.dims);
    for (const o of spec.outputs) valueInfo(g, 12, o.name, spec.dtype, o.dims);
  });
  return w.finish();
}

export interface GemmGraphSpec {
  dtype: LinalgDtype;
  transA: boolean;
  transB: boolean;
  /** Exactly representable in float32 (the attribute's type): use ±1, ±0.5, … */
  alpha: number;
  beta: number;
  /** Whether input C (same shape as the output) is added: Y = alpha·op(A)·op(B) + beta·C. */
  withC: boolean;
}

/** Gemm with symbolic dims, so one session serves every shape. Inputs 'A', 'B' (and 'C'), output 'Y'. */
export function gemmModel(spec: GemmGraphSpec): Uint8Array {
  return graphModel({
    dtype: spec.dtype,
    inputs: [{ name: 'A', dims: spec.transA ? ['K', 'M'] : ['M', 'K'] }, { name: 'B', dims: spec.transB ? ['N', 'K'] : ['K', 'N'] }, ...(spec.withC ? [{ name: 'C', dims: ['M', 'N'] as [string, string] }] : [])],
    outputs: [{ name: 'Y', dims: ['M', 'N'] }],
    nodes: [
      {
        op: 'Gemm',
        inputs: spec.withC ? ['A', 'B', 'C'] : ['A', 'B'],
        output: 'Y',
        attrs: { alpha: { f: spec.alpha }, beta: { f: spec.beta }, transA: spec.transA ? 1 : 0, transB: spec.transB ? 1 : 0 },
      },
    ],
  });
}
