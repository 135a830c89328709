// Assembles one ONNX model out of the runtime's block graphs. The runtime builds each block (embedding,
// attention with a KV cache, MLP, parallel block, head) as its own small graph whose weights are graph
// inputs; an export needs all of them in ONE graph. Rather than writing a second forward pass, the
// assembler inlines those same graphs: each is serialized, decoded, its value names prefixed, its inputs
// wired to values of the parent graph (the previous layer's output, the shared RoPE tables and mask, the
// KV-cache inputs) or turned into weight initializers, and its outputs renamed where the parent wants
// them (`present.{i}.key`, …). The exported model therefore computes exactly what the app computes.
//
// Weights stream straight into one external-data file as they are added, so only the block being
// inlined is ever in memory. float16 weights are stored as float16 and cast to float32 in the graph
// (compute stays float32; onnxruntime folds the casts when it loads the model).
import { closeSync, openSync, writeSync } from 'node:fs';
import { GraphBuilder, OPSET, type Dim } from '../onnx/graph';
import { DataType, EXTERNAL, ModelProto, type ElemType } from '../onnx/proto';
import { toHalfBits } from '../model/safetensors-writer';
import { ExportError } from './errors';

export type WeightDtype = 'f32' | 'f16';

/** A weight to bind to a block graph's input. `half`: stored as float16 when the export is f16. */
export interface WeightFeed {
  dims: number[];
  data: Float32Array;
  half: boolean;
}

interface ProtoNode {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  domain?: string;
  attribute?: object[];
}

interface ProtoTensor {
  name: string;
  [k: string]: unknown;
}

const valueInfo = (name: string, type: ElemType, shape: Dim[]) => ({
  name,
  type: { tensor_type: { elem_type: DataType[type], shape: { dim: shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } },
});

/** Tensors of at least this size start on a 4 KiB boundary (memory-mappable); smaller ones on 64 bytes. */
const PAGE_ALIGN_ABOVE = 1 << 20;

export class DecoderAssembler {
  readonly dtype: WeightDtype;
  #nodes: ProtoNode[] = [];
  #inits: ProtoTensor[] = [];
  #inputs: object[] = [];
  #outputs: object[] = [];
  #outputNames: string[] = [];
  #fd: number;
  #dataName: string;
  #offset = 0;
  #counter = 0;
  #metadata: Record<string, string> = {};

  /** `dataPath`: the external-data file to create; `dataName`: its name relative to model.onnx. */
  constructor(dataPath: string, dataName: string, dtype: WeightDtype) {
    this.dtype = dtype;
    this.#dataName = dataName;
    this.#fd = openSync(dataPath, 'w');
  }

  /** Bytes written to the external-data file so far. */
  get dataBytes(): number {
    return this.#offset;
  }

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.#inputs.push(valueInfo(name, type, shape));
    return name;
  }

  output(name: string, type: ElemType, shape: Dim[]): void {
    this.#outputs.push(valueInfo(name, type, shape));
    this.#outputNames.push(name);
  }

  metadata(key: string, value: string): void {
    this.#metadata[key] = value;
  }

  /** Write a weight to the data file; returns the name of its float32 value in the graph. */
  weight(name: string, w: WeightFeed): string {
    const count = w.dims.reduce((a, d) => a * d, 1);
    if (w.data.length !== count) throw new ExportError(`weight ${name}: ${w.data.length} values for shape ${JSON.stringify(w.dims)}`);
    const half = w.half && this.dtype === 'f16';
    let bytes: Uint8Array;
    if (half) {
      const h = new Uint16Array(count);
      for (let i = 0; i < count; i++) h[i] = toHalfBits(w.data[i]);
      bytes = new Uint8Array(h.buffer);
    } else bytes = new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength);
    const align = bytes.byteLength >= PAGE_ALIGN_ABOVE ? 4096 : 64;
    this.#offset = Math.ceil(this.#offset / align) * align;
    for (let done = 0; done < bytes.byteLength;) done += writeSync(this.#fd, bytes, done, bytes.byteLength - done, this.#offset + done);
    this.#inits.push({
      name,
      data_type: half ? DataType.float16 : DataType.float32,
      dims: w.dims,
      data_location: EXTERNAL,
      external_data: [
        { key: 'location', value: this.#dataName },
        { key: 'offset', value: String(this.#offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ],
    });
    this.#offset += bytes.byteLength;
    if (!half) return name;
    const out = `${name}_f32`;
    this.#nodes.push({ op_type: 'Cast', input: [name], output: [out], name: `cast_${this.#counter++}`, domain: '', attribute: [{ name: 'to', type: 2, i: DataType.float32 }] });
    return out;
  }

  /**
   * Inline graph `g` under `prefix`. `bind` maps g's inputs to parent values and may map g's outputs to
   * chosen names; inputs not bound are weights, looked up in `weights` and written under `prefix + name`.
   * Returns g's outputs by their name in g → their name in the parent.
   */
  inline(g: GraphBuilder, prefix: string, bind: Record<string, string>, weights: Record<string, WeightFeed> = {}): Record<string, string> {
    const proto = ModelProto.toObject(ModelProto.decode(g.toBytes()), { longs: Number, defaults: false }) as {
      graph: { node?: ProtoNode[]; initializer?: ProtoTensor[]; input?: { name: string }[]; output?: { name: string }[] };
    };
    const graph = proto.graph;
    const names = new Map<string, string>(Object.entries(bind));
    for (const inp of graph.input ?? []) {
      if (names.has(inp.name)) continue;
      const w = weights[inp.name];
      if (!w) throw new ExportError(`${prefix}: no weight for block input ${inp.name}`);
      names.set(inp.name, this.weight(`${prefix}${inp.name}`, w));
    }
    const rename = (n: string) => {
      if (n === '') return n;
      let m = names.get(n);
      if (m === undefined) names.set(n, (m = `${prefix}${n}`));
      return m;
    };
    for (const t of graph.initializer ?? []) this.#inits.push({ ...t, name: rename(t.name) });
    for (const node of graph.node ?? []) this.#nodes.push({ ...node, input: node.input.map(rename), output: node.output.map(rename), name: `${prefix}${node.name ?? `n${this.#counter++}`}` });
    return Object.fromEntries((graph.output ?? []).map((o) => [o.name, rename(o.name)]));
  }

  /** Drop nodes and constants no graph output depends on (e.g. the head's logsumexp). */
  #prune(): void {
    const needed = new Set(this.#outputNames);
    const kept: ProtoNode[] = [];
    for (let i = this.#nodes.length - 1; i >= 0; i--) {
      const n = this.#nodes[i];
      if (!n.output.some((o) => needed.has(o))) continue;
      kept.push(n);
      for (const x of n.input) needed.add(x);
    }
    this.#nodes = kept.reverse();
    this.#inits = this.#inits.filter((t) => needed.has(t.name));
  }

  /** Close the data file and serialize the model (weights external). */
  finish(name: string): Uint8Array {
    closeSync(this.#fd);
    this.#prune();
    const model = {
      ir_version: 10,
      producer_name: 'slice-studio',
      opset_import: [{ domain: '', version: OPSET }],
      metadata_props: Object.entries(this.#metadata).map(([key, value]) => ({ key, value })),
      graph: { name, node: this.#nodes, initializer: this.#inits, input: this.#inputs, output: this.#outputs },
    };
    return ModelProto.encode(ModelProto.fromObject(model)).finish();
  }

  /** Close the data file without producing a model (on errors). */
  abort(): void {
    try {
      closeSync(this.#fd);
    } catch {
      /* already closed */
    }
  }
}
