// The D&C's device merges (device-merges.ts) on a WebGPU device: matrices go up as float32 (the
// children's vectors are float32-accurate anyway, being products of float32 data), a merge's product is
// two GEMMs into a fresh m×m buffer, and a dead child's buffer is destroyed at once. By default M itself
// is built on the device from O(m) numbers (wgsl-merge-matrix.ts); `hostMatrix` builds it on the host and
// uploads it instead (the earlier path, kept for comparison).
import type { DeviceMerges } from './device-merges';
import type { WgslLinalg } from './wgsl-context';
import { buildMergeMatrix, mergeMatrixRows } from './wgsl-merge-matrix';
import type { GpuBuffer } from './wgsl-types';

export function wgslMerges(g: WgslLinalg, min: number, hostMatrix = false): DeviceMerges<GpuBuffer> {
  return {
    min,
    ...(hostMatrix
      ? {}
      : {
          matrix: (spec) => buildMergeMatrix(g, spec),
          rows: (M, x1, x2, n1, n2) => mergeMatrixRows(g, M, x1, x2, n1, n2),
        }),
    upload: (x) => g.upload(x instanceof Float32Array ? x : Float32Array.from(x), 'Q'),
    async product(q1, q2, M, n1, n2) {
      const m = n1 + n2;
      const out = g.buffer(m * m, 'Z');
      try {
        await g.gemms(
          [
            { a: q1, b: M, c: out, M: n1, N: m, K: n1, aOff: 0, aRs: n1, aCs: 1, bOff: 0, bRs: m, bCs: 1, cOff: 0, cRs: m },
            { a: q2, b: M, c: out, M: n2, N: m, K: n2, aOff: 0, aRs: n2, aCs: 1, bOff: n1 * m, bRs: m, bCs: 1, cOff: n1 * m, cRs: m },
          ],
          true,
        );
      } catch (err) {
        out.destroy();
        throw err;
      }
      return out;
    },
    free: (b) => b.destroy(),
  };
}
