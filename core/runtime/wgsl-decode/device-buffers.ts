// The decoder's buffers on one device: activations (float32, padded to whole 8-float words and zeroed, so a
// GEMV's 16-byte reads never leave them), uniforms, and matrices packed for the GEMV — float16 two per u32
// (rounded to nearest even) or float32, each row padded with zeros to whole 16-byte words. Every buffer
// is tracked and freed by dispose().
import { toHalfBits } from '../../model/half-bits';
import { BufferUsage, type GpuBuffer, type GpuDevice } from '../../hardware/webgpu-types';
import { WRITE_PIECE_BYTES, writeInPieces } from '../../hardware/webgpu-write';
import { PER_WORD, type WeightType } from './gemv-shader';

/** A matrix on the device in the GEMV's layout: `rows × cols`, `words` 16-byte words a row. */
export interface DeviceMatrix {
  buffer: GpuBuffer;
  rows: number;
  cols: number;
  words: number;
  type: WeightType;
}

/** Row-major data of `rows × cols` given as row blocks (stacked: [q; k; v], [gate; up]). */
export interface RowBlocks {
  cols: number;
  blocks: { rows: number; data: Float32Array }[];
}

export class DeviceBuffers {
  #all: GpuBuffer[] = [];
  bytes = 0;

  constructor(readonly device: GpuDevice) {}

  #create(bytes: number, usage: number, label: string): GpuBuffer {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    const b = this.device.createBuffer({ size, usage, label });
    this.#all.push(b);
    this.bytes += size;
    return b;
  }

  /** A zeroed float32 vector of `n` (padded to a multiple of 8). */
  floats(n: number, label: string): GpuBuffer {
    return this.#create(Math.ceil(n / 8) * 8 * 4, BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST, label);
  }

  /** `data` as a float32 vector (padded like floats()). */
  upload(data: Float32Array, label: string): GpuBuffer {
    const b = this.floats(data.length, label);
    writeInPieces(this.device.queue, b, data);
    return b;
  }

  /** `data` as flat float16 pairs in u32s (element e in the low half of u32 e/2 when e is even). */
  halves(data: Float32Array, label: string): GpuBuffer {
    const b = this.#create(Math.ceil(data.length / 2) * 4, BufferUsage.STORAGE | BufferUsage.COPY_DST, label);
    const piece = WRITE_PIECE_BYTES / 2; // elements per piece (even)
    for (let i = 0; i < data.length; i += piece) {
      const n = Math.min(piece, data.length - i);
      this.device.queue.writeBuffer(b, i * 2, packHalfRows(data.subarray(i, i + n), n, 0, 1, Math.ceil(n / 8)).subarray(0, Math.ceil(n / 2)));
    }
    return b;
  }

  /** A uniform buffer holding `words` (u32 and f32 fields, 4 bytes each). */
  uniform(fields: (number | { f: number })[], label: string): GpuBuffer {
    const data = new ArrayBuffer(Math.max(16, Math.ceil(fields.length / 4) * 16));
    const u = new Uint32Array(data);
    const f = new Float32Array(data);
    fields.forEach((v, i) => (typeof v === 'number' ? (u[i] = v) : (f[i] = v.f)));
    const b = this.#create(data.byteLength, BufferUsage.UNIFORM | BufferUsage.COPY_DST, label);
    this.device.queue.writeBuffer(b, 0, data);
    return b;
  }

  /** A buffer the host maps to read results (copied into it). */
  readback(bytes: number, label: string): GpuBuffer {
    return this.#create(bytes, BufferUsage.MAP_READ | BufferUsage.COPY_DST, label);
  }

  /** A matrix packed for the GEMV, uploaded in pieces (each piece packed just before it is written). */
  matrix(m: RowBlocks, type: WeightType, label: string): DeviceMatrix {
    const rows = m.blocks.reduce((s, b) => s + b.rows, 0);
    const words = Math.max(1, Math.ceil(m.cols / PER_WORD[type]));
    const rowBytes = words * 16;
    const buffer = this.#create(rows * rowBytes, BufferUsage.STORAGE | BufferUsage.COPY_DST, label);
    const rowsPerPiece = Math.max(1, Math.floor(WRITE_PIECE_BYTES / rowBytes));
    let r0 = 0;
    for (const block of m.blocks) {
      for (let r = 0; r < block.rows; r += rowsPerPiece) {
        const n = Math.min(rowsPerPiece, block.rows - r);
        const packed = type === 'float16' ? packHalfRows(block.data, m.cols, r, n, words) : padRows(block.data, m.cols, r, n, words);
        this.device.queue.writeBuffer(buffer, (r0 + r) * rowBytes, packed);
      }
      r0 += block.rows;
    }
    return { buffer, rows, cols: m.cols, words, type };
  }

  dispose(): void {
    for (const b of this.#all) b.destroy();
    this.#all = [];
    this.bytes = 0;
  }
}

/** Rows r0 … r0+n−1 of `data` (cols wide) as float16 pairs in u32s, `words`·4 u32s a row, zero-padded. */
export function packHalfRows(data: Float32Array, cols: number, r0: number, n: number, words: number): Uint32Array {
  const stride = words * 4;
  const out = new Uint32Array(n * stride);
  const bits = new Uint32Array(data.buffer, data.byteOffset, data.length);
  for (let r = 0; r < n; r++) {
    const src = (r0 + r) * cols;
    const dst = r * stride;
    const pairs = cols >> 1;
    for (let k = 0; k < pairs; k++) out[dst + k] = halfOf(bits[src + 2 * k], data, src + 2 * k) | (halfOf(bits[src + 2 * k + 1], data, src + 2 * k + 1) << 16);
    if (cols & 1) out[dst + pairs] = halfOf(bits[src + cols - 1], data, src + cols - 1);
  }
  return out;
}

/** toHalfBits(data[i]) (x its float32 bits), computed inline for float16's normal range (rounding to nearest even alike); the rest through toHalfBits. */
function halfOf(x: number, data: Float32Array, i: number): number {
  const e = (x >>> 23) & 0xff;
  if (e <= 112 || e >= 143) return toHalfBits(data[i]);
  const m = x & 0x7fffff;
  let h = ((e - 112) << 10) | (m >>> 13);
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && h & 1)) h++;
  return h | ((x >>> 16) & 0x8000);
}

/** Rows r0 … r0+n−1 of `data` as float32, `words`·4 floats a row, zero-padded. */
export function padRows(data: Float32Array, cols: number, r0: number, n: number, words: number): Float32Array {
  const stride = words * 4;
  if (stride === cols) return data.subarray(r0 * cols, (r0 + n) * cols);
  const out = new Float32Array(n * stride);
  for (let r = 0; r < n; r++) out.set(data.subarray((r0 + r) * cols, (r0 + r + 1) * cols), r * stride);
  return out;
}
