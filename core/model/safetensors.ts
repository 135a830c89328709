// safetensors: an 8-byte little-endian header length, a JSON header, then raw little-endian data.
// We read the header eagerly (it is small) and each tensor lazily with a positioned read, so a
// 140 GB model never has to be resident: callers ask for one tensor at a time.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { constants, existsSync } from 'node:fs';
import { join, basename, isAbsolute, relative, resolve } from 'node:path';
import { LIMITS, readJsonObject, regularFileSize } from './input-file';

export type StDtype = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL' | 'F8_E4M3' | 'F8_E5M2' | 'U16' | 'U32' | 'U64';

export const DTYPE_BYTES: Record<StDtype, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
  F8_E4M3: 1,
  F8_E5M2: 1,
  U16: 2,
  U32: 4,
  U64: 8,
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

/** A name from a file, for a one-line message: quoted (newlines escaped) and cut short. */
export function quoteName(name: unknown): string {
  if (typeof name === 'string' && name.length <= 80 && /^[\w.\-/]+$/.test(name)) return name;
  const q = typeof name === 'string' ? JSON.stringify(name) : `(${typeof name === 'object' ? (name === null ? 'null' : Array.isArray(name) ? 'an array' : 'an object') : `a ${typeof name}`})`;
  return q.length > 80 ? `${q.slice(0, 77)}…` : q;
}

export async function readSafetensorsHeader(file: string): Promise<{ tensors: TensorInfo[]; metadata: Record<string, string> }> {
  const name = basename(file);
  // A FIFO or device named model.safetensors would block the open (or stream forever): regular files only.
  await regularFileSize(file, SafetensorsError);
  let fh: FileHandle;
  try {
    fh = await open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new SafetensorsError(`cannot open ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new SafetensorsError(`${name} is not a regular file`);
    const size = st.size;
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
        if (v === null || v === undefined) continue;
        if (typeof v !== 'object' || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) throw new SafetensorsError(`${name}: __metadata__ must map names to strings`);
        metadata = v as Record<string, string>;
        continue;
      }
      const t = quoteName(tname);
      if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new SafetensorsError(`${name}: tensor ${t} is not described by an object`);
      const e = v as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
      if (typeof e.dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, e.dtype)) throw new SafetensorsError(`${name}: tensor ${t} has unknown dtype ${typeof e.dtype === 'string' && e.dtype.length <= 40 ? JSON.stringify(e.dtype) : quoteName(e.dtype)}`);
      const dtype = e.dtype as StDtype;
      if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`${name}: tensor ${t} has an invalid shape`);
      if (!Array.isArray(e.data_offsets) || e.data_offsets.length !== 2) throw new SafetensorsError(`${name}: tensor ${t} has invalid data_offsets`);
      const [b, en] = e.data_offsets as unknown[];
      const shape = e.shape as number[];
      const count = shape.reduce((a, d) => a * d, 1);
      const bytes = count * DTYPE_BYTES[dtype];
      if (!(Number.isSafeInteger(bytes) && Number.isSafeInteger(b) && Number.isSafeInteger(en) && (b as number) >= 0 && (en as number) - (b as number) === bytes))
        throw new SafetensorsError(`${name}: tensor ${t} byte range does not match ${dtype}${JSON.stringify(shape).slice(0, 60)}`);
      if (base + (en as number) > size) throw new SafetensorsError(`${name}: tensor ${t} ends at byte ${base + (en as number)}, past the end of the file (${size} bytes; truncated download?)`);
      tensors.push({ name: tname, dtype, shape, offset: base + (b as number), byteLength: bytes, file });
    }
    return { tensors, metadata };
  } finally {
    await fh.close();
  }
}

export const SHARD_INDEX = 'model.safetensors.index.json';

/**
 * The path of a file that a model file names (a shard in the index), confined to the model folder: a plain
 * relative path with no `..`, never absolute, never the folder itself. Symlinks inside the folder are
 * followed (Hugging Face's cache links every file to a blob elsewhere); what a model file *names* is not.
 */
export function confinedPath(folder: string, named: unknown, what: string): string {
  if (typeof named !== 'string' || named.length === 0 || named.length > 4096) throw new SafetensorsError(`${what} names a file that is not a file name: ${quoteName(named)}`);
  const parts = named.split(/[\\/]+/);
  if (named.includes('\0') || isAbsolute(named) || /^[A-Za-z]:/.test(named) || parts.some((p) => p === '..') || parts.every((p) => p === '' || p === '.'))
    throw new SafetensorsError(`${what} names ${quoteName(named)}, which is not a file inside the model folder`);
  const full = resolve(folder, named);
  const rel = relative(resolve(folder), full);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) throw new SafetensorsError(`${what} names ${quoteName(named)}, which is not a file inside the model folder`);
  return full;
}

/** All tensors of a model folder: `model.safetensors`, or the shards named by `model.safetensors.index.json`. */
export async function listModelTensors(folder: string): Promise<TensorInfo[]> {
  const index = join(folder, SHARD_INDEX);
  if (existsSync(index)) {
    const parsed = await readJsonObject(index, LIMITS.index, SafetensorsError);
    const map = parsed.weight_map;
    if (!map || typeof map !== 'object' || Array.isArray(map)) throw new SafetensorsError(`${SHARD_INDEX} has no weight_map`);
    const named = Object.values(map as Record<string, unknown>);
    if (named.length === 0) throw new SafetensorsError(`${SHARD_INDEX}: weight_map is empty`);
    const shards = new Map<string, string>();
    for (const s of named) {
      const p = confinedPath(folder, s, SHARD_INDEX);
      shards.set(p, s as string);
    }
    const all: TensorInfo[] = [];
    const held = new Map<string, Set<string>>();
    for (const [p, s] of [...shards].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))) {
      if (!existsSync(p)) throw new SafetensorsError(`shard ${quoteName(s)} named in ${SHARD_INDEX} is missing`);
      const tensors = (await readSafetensorsHeader(p)).tensors;
      held.set(p, new Set(tensors.map((t) => t.name)));
      all.push(...tensors);
    }
    // Every tensor where the index says it is: a shard cut short by a failed download or a copy of another
    // checkpoint's shard fails here, when the model is opened, not when its layer is reached hours later.
    for (const [tensor, s] of Object.entries(map as Record<string, string>)) {
      if (!held.get(confinedPath(folder, s, SHARD_INDEX))?.has(tensor))
        throw new SafetensorsError(`${SHARD_INDEX} places tensor ${quoteName(tensor)} in shard ${quoteName(s)}, which does not hold it (incomplete download, or a shard of another checkpoint?)`);
    }
    return all;
  }
  const single = join(folder, 'model.safetensors');
  if (existsSync(single)) return (await readSafetensorsHeader(single)).tensors;
  throw new SafetensorsError(`no model.safetensors or ${SHARD_INDEX} in ${folder}`);
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
/** float16 bits → float32 (GGUF's block scales read through it too). */
export const halfToFloat: Float32Array = f16;

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
