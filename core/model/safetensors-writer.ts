// A small safetensors writer: 8-byte little-endian header length, a JSON header (padded with spaces to a
// multiple of 8 so tensor data stays aligned), then each tensor's raw little-endian bytes in header order.
// Files are written to a temporary name, flushed and renamed, so a killed process never leaves a truncated
// file under the final name (sliced-model checkpoints depend on that).
import { writeAll, writeDurably } from './durable-file';
import { SafetensorsError } from './safetensors';
import { halfBitsOf, toHalfBits } from './half-bits';
import { widened } from './lazy-half';

export interface TensorToWrite {
  name: string;
  /** F32 from a Float32Array, F64 from a Float64Array, F16/BF16 from either (rounded to nearest even). */
  dtype: 'F32' | 'F64' | 'F16' | 'BF16';
  shape: number[];
  data: Float32Array | Float64Array;
}

export { toHalfBits };

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → bfloat16 bits, round to nearest even (as torch's .bfloat16()); NaN stays a quiet NaN. */
export function toBfloat16Bits(v: number): number {
  f32[0] = v;
  const x = u32[0];
  if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

function bytesOf(t: TensorToWrite): Uint8Array {
  const count = t.shape.reduce((a, d) => a * d, 1);
  if (t.data.length !== count) throw new SafetensorsError(`tensor ${t.name}: ${t.data.length} values for shape ${JSON.stringify(t.shape)}`);
  // Values widened from float16 (the device engine's products, half-bits.ts): their own bits, not rounded again —
  // nor widened at all when they are a lazy matrix's not read yet (lazy-half.ts).
  const remembered = t.dtype === 'F16' ? halfBitsOf(t.data) : undefined;
  if (remembered) return new Uint8Array(remembered.buffer, remembered.byteOffset, remembered.byteLength);
  // Any other way reads the values: a lazy matrix's array is filled first.
  const data = t.data instanceof Float32Array ? widened(t.data) : t.data;
  if (t.dtype === 'F64') {
    const d = data instanceof Float64Array ? data : Float64Array.from(data);
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  if (t.dtype === 'F32') {
    const d = data instanceof Float32Array ? data : Float32Array.from(data);
    return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  }
  const h = new Uint16Array(count);
  const bits = t.dtype === 'BF16' ? toBfloat16Bits : toHalfBits;
  for (let i = 0; i < count; i++) h[i] = bits(data[i]);
  return new Uint8Array(h.buffer);
}

/** A single write() may be partial for very large buffers: loop until every byte is out. */
const BYTES = { F32: 4, F64: 8, F16: 2, BF16: 2 } as const;

/** Write tensors to `file` atomically. Little-endian hosts only (every platform Node ships on). */
export async function writeSafetensors(file: string, tensors: TensorToWrite[], metadata: Record<string, string> = {}): Promise<void> {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  const seen = new Set<string>();
  for (const t of tensors) {
    if (seen.has(t.name)) throw new SafetensorsError(`duplicate tensor name ${t.name}`);
    seen.add(t.name);
    const len = t.shape.reduce((a, d) => a * d, 1) * BYTES[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = JSON.stringify(header);
  const pad = (8 - (Buffer.byteLength(json) % 8)) % 8;
  json += ' '.repeat(pad);
  const hb = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hb.length));
  await writeDurably(
    file,
    async (fh) => {
      await writeAll(fh, len);
      await writeAll(fh, hb);
      for (const t of tensors) await writeAll(fh, bytesOf(t));
    },
    { bytes: 8 + hb.length + offset, what: 'a safetensors file', after: 'free some space and run it again (a slice resumes from its last complete layer with --resume)' },
  );
}
