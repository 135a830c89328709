// Where a divide-and-conquer merge's eigenvectors live when a GPU multiplies: the interface the D&C
// (divide-conquer.ts) calls for merges at or above a size, and which merges those are. A merge on the
// device gets its children's vector matrices as device buffers (a host child goes up once), M goes up as
// float32, the product [Q1·M_top; Q2·M_bottom] is written into a new buffer and the children's are freed:
// nothing m×m comes down. The parent reads only one row of each child, kept on the host (merge-matrix.ts
// rowTimes). A device with `matrix` builds M itself from its O(m) description (merge-spec.ts): then only that
// goes up, and the two rows are computed there (`rows`), since M is not on the host.
import type { MergeSpec } from './merge-spec';

export interface DeviceMerges<B> {
  /** Merges of at least this size multiply on the device; so does the top merge, always. */
  min: number;
  /** A row-major matrix to the device as float32. */
  upload(x: Float64Array | Float32Array): B;
  /** [Q1·M[0:n1]; Q2·M[n1:]] into a new m×m buffer (m = n1 + n2; Q1 n1×n1, Q2 n2×n2, M m×m, all row-major). */
  product(q1: B, q2: B, M: B, n1: number, n2: number): Promise<B>;
  free(b: B): void;
  /** M (m×m row-major, float32) built on the device from its spec; absent: M is built on the host and uploaded. */
  matrix?(spec: MergeSpec): Promise<B>;
  /** [x1·M[0:n1], x2·M[n1:]] (m each): a device-built M's share of the merged vectors' first and last rows. Required with `matrix`. */
  rows?(M: B, x1: Float64Array, x2: Float64Array, n1: number, n2: number): Promise<{ first: Float64Array; last: Float64Array }>;
}

/** Whether the merge of size m runs on the device. */
export function onDevice(device: { min: number } | undefined, m: number, top: boolean): boolean {
  return !!device && (top || m >= device.min);
}

/** The largest merge below `m` (or m itself) whose product is on the host: the size of the float64 M scratch. */
export function largestHostMerge(m: number, leaf: number, device: { min: number } | undefined, top = true): number {
  if (m <= leaf) return 0;
  if (!onDevice(device, m, top)) return m;
  const n1 = m >> 1;
  return Math.max(largestHostMerge(n1, leaf, device, false), largestHostMerge(m - n1, leaf, device, false));
}
