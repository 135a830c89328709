// A GGUF v3 file writer (ggml-org/ggml docs/gguf.md), little-endian:
//   header    magic "GGUF", uint32 version 3, uint64 tensor_count, uint64 metadata_kv_count;
//   metadata  per key: gguf_string key (uint64 length + UTF-8 bytes), uint32 value type, value
//             (arrays: uint32 element type, uint64 count, elements);
//   tensors   per tensor: gguf_string name, uint32 n_dims, uint64 ne[n_dims] (ne[0] = the contiguous row
//             length, i.e. a torch [out, in] weight is ne = [in, out]), uint32 ggml_type, uint64 offset
//             (relative to the data section, a multiple of general.alignment);
//   padding   to the alignment, then each tensor's bytes, each padded to the alignment.
// The whole layout is fixed from shapes and types before any tensor data exists, so the data streams in
// one tensor at a time (one layer of a large model in memory at once). The file is written under a
// temporary name, flushed and renamed: a killed export never leaves a truncated .gguf behind.
import { createHash } from 'node:crypto';
import { writeAll, writeDurably } from '../../model/durable-file';
import { BLOCK, GGUF_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, GgmlType, ValueType, tensorBytes } from './constants';
import { GgufExportError } from './errors';

export type ScalarType = ValueType.UINT8 | ValueType.INT8 | ValueType.UINT16 | ValueType.INT16 | ValueType.UINT32 | ValueType.INT32 | ValueType.FLOAT32 | ValueType.BOOL | ValueType.STRING | ValueType.UINT64 | ValueType.INT64 | ValueType.FLOAT64;

export type MetadataValue = { type: ScalarType; value: number | bigint | boolean | string } | { type: ValueType.ARRAY; itemType: ScalarType; items: ArrayLike<number | bigint | boolean | string> };

export interface TensorInfo {
  name: string;
  /** ggml order: ne[0] is the contiguous (row) dimension. */
  ne: number[];
  type: GgmlType;
  bytes: number;
  offset: number;
}

/** Growable little-endian byte buffer for the header. */
class Bytes {
  #buf = new Uint8Array(1 << 16);
  #dv = new DataView(this.#buf.buffer);
  length = 0;
  #need(n: number) {
    if (this.length + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
    this.#dv = new DataView(next.buffer);
  }
  u8(v: number) {
    this.#need(1);
    this.#dv.setUint8(this.length, v);
    this.length += 1;
  }
  i8(v: number) {
    this.#need(1);
    this.#dv.setInt8(this.length, v);
    this.length += 1;
  }
  u16(v: number) {
    this.#need(2);
    this.#dv.setUint16(this.length, v, true);
    this.length += 2;
  }
  i16(v: number) {
    this.#need(2);
    this.#dv.setInt16(this.length, v, true);
    this.length += 2;
  }
  u32(v: number) {
    this.#need(4);
    this.#dv.setUint32(this.length, v, true);
    this.length += 4;
  }
  i32(v: number) {
    this.#need(4);
    this.#dv.setInt32(this.length, v, true);
    this.length += 4;
  }
  f32(v: number) {
    this.#need(4);
    this.#dv.setFloat32(this.length, v, true);
    this.length += 4;
  }
  f64(v: number) {
    this.#need(8);
    this.#dv.setFloat64(this.length, v, true);
    this.length += 8;
  }
  u64(v: number | bigint) {
    this.#need(8);
    this.#dv.setBigUint64(this.length, BigInt(v), true);
    this.length += 8;
  }
  i64(v: number | bigint) {
    this.#need(8);
    this.#dv.setBigInt64(this.length, BigInt(v), true);
    this.length += 8;
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.#need(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }
  pad(alignment: number) {
    const n = (alignment - (this.length % alignment)) % alignment;
    this.#need(n);
    this.#buf.fill(0, this.length, this.length + n);
    this.length += n;
  }
  bytes(): Uint8Array {
    return this.#buf.subarray(0, this.length);
  }
}

function writeScalar(b: Bytes, type: ScalarType, v: number | bigint | boolean | string): void {
  switch (type) {
    case ValueType.UINT8:
      return b.u8(Number(v));
    case ValueType.INT8:
      return b.i8(Number(v));
    case ValueType.UINT16:
      return b.u16(Number(v));
    case ValueType.INT16:
      return b.i16(Number(v));
    case ValueType.UINT32:
      return b.u32(Number(v));
    case ValueType.INT32:
      return b.i32(Number(v));
    case ValueType.FLOAT32:
      return b.f32(Number(v));
    case ValueType.BOOL:
      return b.u8(v ? 1 : 0);
    case ValueType.STRING:
      return b.str(String(v));
    case ValueType.UINT64:
      return b.u64(typeof v === 'bigint' ? v : Number(v));
    case ValueType.INT64:
      return b.i64(typeof v === 'bigint' ? v : Number(v));
    case ValueType.FLOAT64:
      return b.f64(Number(v));
  }
}

const alignUp = (n: number, a: number) => Math.ceil(n / a) * a;

export interface WriteResult {
  bytes: number;
  sha256: string;
}

export class GgufWriter {
  readonly alignment: number;
  #kv = new Map<string, MetadataValue>();
  #tensors: TensorInfo[] = [];
  #dataBytes = 0;

  constructor(alignment = GGUF_ALIGNMENT) {
    this.alignment = alignment;
    this.uint32('general.alignment', alignment);
  }

  set(key: string, v: MetadataValue): this {
    this.#kv.set(key, v);
    return this;
  }
  uint32(key: string, v: number) {
    return this.set(key, { type: ValueType.UINT32, value: v });
  }
  int32(key: string, v: number) {
    return this.set(key, { type: ValueType.INT32, value: v });
  }
  float32(key: string, v: number) {
    return this.set(key, { type: ValueType.FLOAT32, value: v });
  }
  bool(key: string, v: boolean) {
    return this.set(key, { type: ValueType.BOOL, value: v });
  }
  string(key: string, v: string) {
    return this.set(key, { type: ValueType.STRING, value: v });
  }
  array(key: string, itemType: ScalarType, items: ArrayLike<number | bigint | boolean | string>) {
    return this.set(key, { type: ValueType.ARRAY, itemType, items });
  }

  get metadata(): ReadonlyMap<string, MetadataValue> {
    return this.#kv;
  }

  get tensors(): readonly TensorInfo[] {
    return this.#tensors;
  }

  /** Declare the next tensor (data is written later, in declaration order). */
  addTensor(name: string, ne: number[], type: GgmlType): TensorInfo {
    if (this.#tensors.some((t) => t.name === name)) throw new GgufExportError(`duplicate tensor name ${name}`);
    const elements = ne.reduce((a, n) => a * n, 1);
    const bytes = tensorBytes(type, elements);
    if (!Number.isInteger(bytes) || ne[0] % BLOCK[type].size !== 0) throw new GgufExportError(`tensor ${name}: row length ${ne[0]} is not a multiple of the ${GgmlType[type]} block size`);
    const t: TensorInfo = { name, ne, type, bytes, offset: this.#dataBytes };
    this.#dataBytes = alignUp(this.#dataBytes + bytes, this.alignment);
    this.#tensors.push(t);
    return t;
  }

  header(): Uint8Array {
    const b = new Bytes();
    b.u32(GGUF_MAGIC);
    b.u32(GGUF_VERSION);
    b.u64(this.#tensors.length);
    b.u64(this.#kv.size);
    for (const [key, v] of this.#kv) {
      b.str(key);
      b.u32(v.type);
      if (v.type === ValueType.ARRAY) {
        b.u32(v.itemType);
        b.u64(v.items.length);
        for (let i = 0; i < v.items.length; i++) writeScalar(b, v.itemType, v.items[i]);
      } else writeScalar(b, v.type, v.value);
    }
    for (const t of this.#tensors) {
      b.str(t.name);
      b.u32(t.ne.length);
      for (const n of t.ne) b.u64(n);
      b.u32(t.type);
      b.u64(t.offset);
    }
    b.pad(this.alignment);
    return b.bytes();
  }

  /** Bytes the file will have (header + aligned data). */
  fileSize(): number {
    return this.header().byteLength + this.#dataBytes;
  }

  /**
   * Write the file atomically. `data(t)` gives each tensor's bytes, asked for in declaration order
   * (so a producer may load one layer at a time).
   */
  async write(file: string, data: (t: TensorInfo, index: number) => Promise<Uint8Array>): Promise<WriteResult> {
    const hash = createHash('sha256');
    let written = 0;
    await writeDurably(
      file,
      async (fh) => {
        const put = async (b: Uint8Array) => {
          await writeAll(fh, b);
          hash.update(b);
          written += b.byteLength;
        };
        await put(this.header());
        const dataStart = written;
        for (let i = 0; i < this.#tensors.length; i++) {
          const t = this.#tensors[i];
          if (written - dataStart !== t.offset) throw new GgufExportError(`internal: tensor ${t.name} at ${written - dataStart}, planned ${t.offset}`);
          const bytes = await data(t, i);
          if (bytes.byteLength !== t.bytes) throw new GgufExportError(`tensor ${t.name}: ${bytes.byteLength} bytes, expected ${t.bytes}`);
          await put(bytes);
          const pad = alignUp(written - dataStart, this.alignment) - (written - dataStart);
          if (pad) await put(new Uint8Array(pad));
        }
      },
      { bytes: this.fileSize(), what: 'the GGUF file', after: 'free some space and export again' },
    );
    return { bytes: written, sha256: hash.digest('hex') };
  }
}
