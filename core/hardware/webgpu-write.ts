// Large host → GPU writes in pieces: Dawn stages each writeBuffer call in one allocation of its size, so a
// large array (an n = 8192 matrix is 256 MiB, a 7B model's weights more) goes up in pieces of at most 64 MiB.
// Shared by the WGSL eigensolver (linalg/wgsl-context.ts) and the WGSL decoder (runtime/wgsl-decode).
import type { GpuBuffer, GpuQueue } from './webgpu-types';

/** The most bytes one writeBuffer call is given. */
export const WRITE_PIECE_BYTES = 64 << 20;

/** Writes `data` into `buffer` from byte `offset` on, in pieces of at most WRITE_PIECE_BYTES. */
export function writeInPieces(queue: GpuQueue, buffer: GpuBuffer, data: Float32Array, offset = 0): void {
  const piece = WRITE_PIECE_BYTES / 4;
  for (let i = 0; i < data.length; i += piece) queue.writeBuffer(buffer, offset + i * 4, data.subarray(i, Math.min(data.length, i + piece)));
}
