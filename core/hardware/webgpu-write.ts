// Large host → GPU writes in pieces: Dawn stages each writeBuffer call in one allocation of its size, so a
// large array (an n = 8192 matrix is 256 MiB, a 7B model's weights more) goes up in pieces of at most 64 MiB.
// Shared by the WGSL eigensolver (linalg/wgsl-context.ts) and the WGSL decoder (runtime/wgsl-decode).
// Dawn for Node (webgpu 0.6.2) crashes the process (SIGSEGV) on a view of a SharedArrayBuffer, so shared data (the
// PCA's upload when its pass ran on worker threads: slicegpt/upload-pool.ts) goes through a small plain array, piece by
// piece: writeBuffer copies its data at the call, so one array serves every piece.
import type { GpuBuffer, GpuQueue } from './webgpu-types';

/** The most bytes one writeBuffer call is given. */
export const WRITE_PIECE_BYTES = 64 << 20;

/** The pieces of shared data: a plain copy of each (4 MiB stays in cache between the copy and Dawn's own). */
export const SHARED_PIECE_BYTES = 4 << 20;

/** Writes `data` into `buffer` from byte `offset` on, in pieces of at most WRITE_PIECE_BYTES (SHARED_PIECE_BYTES, through a plain copy, for shared memory). */
export function writeInPieces(queue: GpuQueue, buffer: GpuBuffer, data: Float32Array, offset = 0): void {
  // (a browser page that is not cross-origin isolated has no SharedArrayBuffer at all: nothing there is shared)
  const shared = typeof SharedArrayBuffer !== 'undefined' && data.buffer instanceof SharedArrayBuffer;
  const piece = (shared ? SHARED_PIECE_BYTES : WRITE_PIECE_BYTES) / 4;
  const bounce = shared ? new Float32Array(Math.min(piece, data.length)) : null;
  for (let i = 0; i < data.length; i += piece) {
    const part = data.subarray(i, Math.min(data.length, i + piece));
    if (!bounce) queue.writeBuffer(buffer, offset + i * 4, part);
    else {
      bounce.set(part);
      queue.writeBuffer(buffer, offset + i * 4, bounce.subarray(0, part.length));
    }
  }
}
