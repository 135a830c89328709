// A small ONNX graph builder: name values, add nodes, serialize to ModelProto bytes. Block graphs
// are a few dozen nodes, so a plain imperative builder is clearer than any IR: every helper returns
// the name of the value it produced.
import { ModelProto, DataType, AttrType, EXTERNAL, type ElemType } from './proto';

export type Dim = number | string;

/** Attribute values: integers and integer lists are INT/INTS; wrap floats as { f } / { floats }. */
export type AttrValue = number | number[] | string | { f: number } | { floats: number[] };

export const OPSET = 21;
export const MS_DOMAIN = 'com.microsoft';

export class GraphError extends Error {
  override name = 'GraphError';
}

interface Initializer {
  name: string;
  type: ElemType;
  dims: number[];
  bytes: Uint8Array;
}

interface ValueInfo {
  name: string;
  type: ElemType;
  shape?: Dim[];
}

const valueInfo = (v: ValueInfo) => ({
  name: v.name,
  type: {
    tensor_type: {
      elem_type: DataType[v.type],
      ...(v.shape ? { shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) } } : {}),
    },
  },
});

function encodeAttr(name: string, v: AttrValue) {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) throw new GraphError(`attribute ${name}: ${v} is not an integer (wrap floats as { f })`);
    return { name, type: AttrType.INT, i: v };
  }
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('f' in v) return { name, type: AttrType.FLOAT, f: v.f };
  return { name, type: AttrType.FLOATS, floats: v.floats };
}

export class GraphBuilder {
  readonly name: string;
  #nodes: object[] = [];
  #inputs: ValueInfo[] = [];
  #outputs: ValueInfo[] = [];
  #inits: Initializer[] = [];
  #consts = new Map<string, string>();
  #counter = 0;
  #usesMs = false;

  constructor(name: string) {
    this.name = name;
  }

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.#counter++}`;
  }

  input(name: string, type: ElemType, shape: Dim[]): string {
    this.#inputs.push({ name, type, shape });
    return name;
  }

  /** Names of the graph outputs declared so far. */
  get outputNames(): string[] {
    return this.#outputs.map((o) => o.name);
  }

  /** Names of the graph inputs declared so far. */
  get inputNames(): string[] {
    return this.#inputs.map((i) => i.name);
  }

  /** Turn a declared input into an initializer holding `data` (weights baked into the model). */
  bindInput(name: string, dims: number[], data: Float32Array | Int32Array): void {
    const i = this.#inputs.findIndex((v) => v.name === name);
    if (i < 0) throw new GraphError(`graph ${this.name} has no input ${name}`);
    const [v] = this.#inputs.splice(i, 1);
    this.initializer(name, v.type, dims, data);
  }

  output(name: string, type: ElemType, shape?: Dim[]): string {
    this.#outputs.push({ name, type, shape });
    return name;
  }

  /** Add a node with one output; returns the output's name (`out` names it explicitly). */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { out?: string; domain?: string } = {}): string {
    return this.nodeN(op, inputs, 1, attrs, { ...opts, outs: opts.out ? [opts.out] : undefined })[0];
  }

  nodeN(op: string, inputs: string[], n: number, attrs: Record<string, AttrValue> = {}, opts: { outs?: string[]; domain?: string } = {}): string[] {
    const outs = opts.outs ?? Array.from({ length: n }, () => this.fresh(op.toLowerCase()));
    if (opts.domain === MS_DOMAIN) this.#usesMs = true;
    this.#nodes.push({
      op_type: op,
      input: inputs,
      output: outs,
      name: this.fresh(`n_${op}`),
      domain: opts.domain ?? '',
      attribute: Object.entries(attrs).map(([k, v]) => encodeAttr(k, v)),
    });
    return outs;
  }

  /** An initializer holding raw little-endian data. */
  initializer(name: string, type: ElemType, dims: number[], data: Float32Array | Int32Array | BigInt64Array | Uint8Array): string {
    this.#inits.push({ name, type, dims, bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return name;
  }

  /** A small int64 constant (shapes, axes), deduplicated. Scalar when `scalar` is set. */
  i64(values: number[], scalar = false): string {
    const key = `i64:${scalar ? 's' : ''}${values.join(',')}`;
    let n = this.#consts.get(key);
    if (!n) {
      n = this.initializer(this.fresh('c_i64'), 'int64', scalar ? [] : [values.length], BigInt64Array.from(values.map(BigInt)));
      this.#consts.set(key, n);
    }
    return n;
  }

  /** An int32 scalar constant, deduplicated. */
  i32(value: number): string {
    const key = `i32:${value}`;
    let n = this.#consts.get(key);
    if (!n) {
      n = this.initializer(this.fresh('c_i32'), 'int32', [], Int32Array.of(value));
      this.#consts.set(key, n);
    }
    return n;
  }

  /** A float32 scalar constant, deduplicated. */
  f32(value: number): string {
    const key = `f32:${Object.is(value, -0) ? '-0' : value}`;
    let n = this.#consts.get(key);
    if (!n) {
      n = this.initializer(this.fresh('c_f32'), 'float32', [], Float32Array.of(value));
      this.#consts.set(key, n);
    }
    return n;
  }

  #model(graphInits: object[]) {
    const opset = [{ domain: '', version: OPSET }];
    if (this.#usesMs) opset.push({ domain: MS_DOMAIN, version: 1 });
    return {
      ir_version: 10,
      producer_name: 'slice-studio',
      opset_import: opset,
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: graphInits,
        input: this.#inputs.map(valueInfo),
        output: this.#outputs.map(valueInfo),
      },
    };
  }

  /** The whole model, initializers inline. */
  toBytes(): Uint8Array {
    const inits = this.#inits.map((t) => ({ name: t.name, data_type: DataType[t.type], dims: t.dims, raw_data: t.bytes }));
    return ModelProto.encode(ModelProto.fromObject(this.#model(inits))).finish();
  }

  /**
   * The model with initializers of at least `minBytes` moved to one external data file named
   * `dataFile` (relative to the model file, as ONNX requires). Returns the model bytes and the data
   * chunks in file order; the caller writes both. Offsets are 64-byte aligned for mmap.
   */
  toExternal(dataFile: string, minBytes = 1024): { model: Uint8Array; chunks: { offset: number; bytes: Uint8Array }[] } {
    let offset = 0;
    const chunks: { offset: number; bytes: Uint8Array }[] = [];
    const inits = this.#inits.map((t) => {
      if (t.bytes.byteLength < minBytes) return { name: t.name, data_type: DataType[t.type], dims: t.dims, raw_data: t.bytes };
      offset = Math.ceil(offset / 64) * 64;
      chunks.push({ offset, bytes: t.bytes });
      const entry = {
        name: t.name,
        data_type: DataType[t.type],
        dims: t.dims,
        data_location: EXTERNAL,
        external_data: [
          { key: 'location', value: dataFile },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(t.bytes.byteLength) },
        ],
      };
      offset += t.bytes.byteLength;
      return entry;
    });
    return { model: ModelProto.encode(ModelProto.fromObject(this.#model(inits))).finish(), chunks };
  }
}
