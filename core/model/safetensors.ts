// safetensors: an 8-byte little-endian header length, a JSON header, then raw little-endian data.
// We read the header eagerly (it is small) and each tensor lazily with a positioned read, so a
// 140 GB model never has to be resident: callers ask for one tensor at a time.
import { open, stat, readFile, type FileHandle } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, basename } from 'node:path';

export type StDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'F8_E4M3' | 'F8_E5M2' | 'U16' | 'U32' | 'U64';

export const DTYPE_BYTES: Record<StDtype, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1, F8_E4M3: 1, F8_E5M2: 1, U16: 2, U32: 4, U64: 8,
};

export interface TensorInfo {
  name: string;
  dtype: StDtype;
  shape: number[];
  /** Absolute byte offset of the data in its file (header included). */
  offset: number;
  byteLength: number;
  file: string;
}

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** The largest header we accept; real headers are well under 10 MB (safetensors caps at 100 MB). */
const MAX_HEADER = 100 * 1024 * 1024;

export async function readSafetensorsHeader(file: string): Promise<{ tensors: TensorInfo[]; metadata: Record<string, string> }> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new SafetensorsError(`cannot open ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const size = (await fh.stat()).size;
    const name = basename(file);
    if (size < 8) throw new SafetensorsError(`${name} is truncated: ${size} bytes, too short for a safetensors header`);
    const lenBuf = Buffer.alloc(8);
    await fh.read(lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > MAX_HEADER) throw new SafetensorsError(`${name}: header length ${headerLen} is implausible (corrupt file?)`);
    if (8 + headerLen > size) throw new SafetensorsError(`${name}: header length ${headerLen} runs past the end of the file (${size} bytes)`);
    const hb = Buffer.alloc(headerLen);
    await fh.read(hb, 0, headerLen, 8);
    let header: Record<string, unknown>;
    try {
      header = JSON.parse(hb.toString('utf8'));
    } catch {
      throw new SafetensorsError(`${name}: header is not valid JSON (corrupt or not a safetensors file)`);
    }
    if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError(`${name}: header is not a JSON object`);
    const base = 8 + headerLen;
    const tensors: TensorInfo[] = [];
    let metadata: Record<string, string> = {};
    for (const [tname, v] of Object.entries(header)) {
      if (tname === '__metadata__') {
        metadata = (v ?? {}) as Record<string, string>;
        continue;
      }
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e?.dtype !== 'string' || !(e.dtype in DTYPE_BYTES))
        throw new SafetensorsError(`${name}: tensor ${tname} has unknown dtype ${JSON.stringify(e?.dtype)}`);
      const dtype = e.dtype as StDtype;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0))
        throw new SafetensorsError(`${name}: tensor ${tname} has an invalid shape`);
      if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2)
        throw new SafetensorsError(`${name}: tensor ${tname} has invalid data_offsets`);
      const [b, en] = e.data_offsets as number[];
      const shape = e.shape as number[];
      const count = shape.reduce((a, d) => a * d, 1);
      if (!(Number.isInteger(b) && Number.isInteger(en) && en >= b && en - b === count * DTYPE_BYTES[dtype]))
        throw new SafetensorsError(`${name}: tensor ${tname} byte range [${b}, ${en}) does not match ${dtype}${JSON.stringify(shape)}`);
      if (base + en > size)
        throw new SafetensorsError(`${name}: tensor ${tname} ends at byte ${base + en}, past the end of the file (${size} bytes; truncated download?)`);
      tensors.push({ name: tname, dtype, shape, offset: base + b, byteLength: en - b, file });
    }
    return { tensors, metadata };
  } finally {
    await fh.close();
  }
}

/** All tensors of a model folder: `model.safetensors`, or the shards named by `model.safetensors.index.json`. */
export async function listModelTensors(folder: string): Promise<TensorInfo[]> {
  const index = join(folder, 'model.safetensors.index.json');
  if (existsSync(index)) {
    let parsed: { weight_map?: Record<string, string> };
    try {
      parsed = JSON.parse(await readFile(index, 'utf8'));
    } catch {
      throw new SafetensorsError('model.safetensors.index.json is not valid JSON');
    }
    if (!parsed.weight_map || typeof parsed.weight_map !== 'object') throw new SafetensorsError('model.safetensors.index.json has no weight_map');
    const shards = [...new Set(Object.values(parsed.weight_map))].sort();
    const all: TensorInfo[] = [];
    for (const s of shards) {
      const p = join(folder, s);
      if (!existsSync(p)) throw new SafetensorsError(`shard ${s} named in model.safetensors.index.json is missing`);
      all.push(...(await readSafetensorsHeader(p)).tensors);
    }
    return all;
  }
  const single = join(folder, 'model.safetensors');
  if (existsSync(single)) return (await readSafetensorsHeader(single)).tensors;
  throw new SafetensorsError(`no model.safetensors or model.safetensors.index.json in ${folder}`);
}

const f16 = new Float32Array(65536);
{
  // A lookup table is the fastest exact float16 → float32 conversion in JS.
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    f16[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
}

/** Decode raw little-endian bytes of a float tensor into float32. */
export function toFloat32(bytes: Uint8Array, dtype: StDtype): Float32Array {
  const n = bytes.byteLength / DTYPE_BYTES[dtype];
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = f16[dv.getUint16(i * 2, true)];
      return out;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(i * 2, true) << 16;
      return out;
    }
    default:
      throw new SafetensorsError(`tensor dtype ${dtype} is not a float type`);
  }
}

/**
 * Lazy access to the tensors of a model folder (single file or sharded).
 * `static async create()` reads only headers; `read()` reads one tensor from disk.
 */
export class SafetensorsModel {
  readonly #byName: Map<string, TensorInfo>;
  readonly folder: string;

  private constructor(folder: string, tensors: TensorInfo[]) {
    this.folder = folder;
    this.#byName = new Map(tensors.map((t) => [t.name, t]));
  }

  static async create(folder: string): Promise<SafetensorsModel> {
    const st = await stat(folder).catch(() => null);
    if (!st?.isDirectory()) throw new SafetensorsError(`model folder not found: ${folder}`);
    return new SafetensorsModel(folder, await listModelTensors(folder));
  }

  get names(): string[] {
    return [...this.#byName.keys()];
  }

  has(name: string): boolean {
    return this.#byName.has(name);
  }

  info(name: string): TensorInfo {
    const t = this.#byName.get(name);
    if (!t) throw new SafetensorsError(`tensor ${name} not found in ${this.folder}`);
    return t;
  }

  async readBytes(name: string): Promise<Uint8Array> {
    const t = this.info(name);
    const fh = await open(t.file, 'r');
    try {
      const buf = new Uint8Array(t.byteLength);
      const { bytesRead } = await fh.read(buf, 0, t.byteLength, t.offset);
      if (bytesRead !== t.byteLength) throw new SafetensorsError(`short read of ${name}: ${bytesRead}/${t.byteLength} bytes`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  /** One tensor as float32, whatever its stored float type. */
  async read(name: string): Promise<Float32Array> {
    return toFloat32(await this.readBytes(name), this.info(name).dtype);
  }
}
