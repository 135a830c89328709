// The hottest host loop of a device-engine PCA (damped-upload.ts): a device moment's compensated pair (s, c) read as
// 0 + (s − c) in float64, symmetrised, scaled and rounded into the float32 upload. One kernel for the serial path and
// for the worker threads (upload-pool.ts runs its source text), so every entry is the same arithmetic whichever thread
// computes it. Self-contained: no imports, no closures (the workers eval `pairPassUnits.toString()`).

/** Tile width of the pass: a unit is one block row of TILE rows. */
export const PAIR_TILE = 64;

/** ctrl slots (Int32Array): the next unit to take, units done, a worker's failure flag. */
export const PAIR_NEXT = 0;
export const PAIR_DONE = 1;
export const PAIR_FAILED = 2;
export const PAIR_CTRL_INTS = 4;

/**
 * Takes block rows (units) from `ctrl[0]` until none is left, largest first (block row b holds b + 1 tiles), and for
 * each writes s = ((a + aᵀ)/2 · scale) below and above the diagonal of its rows, a = 0 + (ps − pc) (the diagonal is
 * the caller's), and the rows' max |entry| into amax[b], NaN if one is not finite (the rest of that unit is skipped:
 * the caller throws). Counts each finished unit in ctrl[1] and wakes a waiter on it after the last. Off the diagonal
 * tile, four rows go together: their transposed entries are four adjacent floats of one row, so the column walk
 * touches a cache line and a page once for four entries instead of once each (~25 % faster on the 2-core box).
 */
export function pairPassUnits(ps: Float32Array, pc: Float32Array, n: number, s: Float32Array, scale: number, ctrl: Int32Array, amaxes: Float64Array, tile: number): void {
  const units = Math.ceil(n / tile);
  /**
   * Row i's entries j in [j0, j1) one at a time (rows past a multiple of four, the diagonal tile): the new max |entry|,
   * NaN at a non-finite one. Everything comes as arguments: a closure over the kernel's own parameters would move them
   * into a context that the four-row loop would read too.
   */
  function rowPart(ps: Float32Array, pc: Float32Array, n: number, s: Float32Array, scale: number, i: number, j0: number, j1: number, amax: number): number {
    for (let j = j0; j < j1; j++) {
      const v = (0 + (ps[i * n + j] - pc[i * n + j])) * 0.5 + (0 + (ps[j * n + i] - pc[j * n + i])) * 0.5;
      const x = Math.abs(v);
      if (!(x <= amax)) {
        if (!Number.isFinite(x)) return NaN;
        amax = x;
      }
      const f = v * scale;
      s[i * n + j] = f;
      s[j * n + i] = f;
    }
    return amax;
  }
  for (;;) {
    const u = Atomics.add(ctrl, 0, 1);
    if (u >= units) return;
    const b = units - 1 - u;
    const i0 = b * tile;
    const i1 = Math.min(n, i0 + tile);
    let amax = 0;
    let finite = true;
    // The tiles left of the diagonal one: every row takes j in [j0, j0 + tile), j < i0 ≤ i.
    for (let j0 = 0; j0 < i0 && finite; j0 += tile) {
      const j1 = j0 + tile;
      let i = i0;
      for (; i + 4 <= i1 && finite; i += 4) {
        const r0 = i * n;
        const r1 = r0 + n;
        const r2 = r1 + n;
        const r3 = r2 + n;
        for (let j = j0; j < j1; j++) {
          const t = j * n + i;
          const v0 = (0 + (ps[r0 + j] - pc[r0 + j])) * 0.5 + (0 + (ps[t] - pc[t])) * 0.5;
          const v1 = (0 + (ps[r1 + j] - pc[r1 + j])) * 0.5 + (0 + (ps[t + 1] - pc[t + 1])) * 0.5;
          const v2 = (0 + (ps[r2 + j] - pc[r2 + j])) * 0.5 + (0 + (ps[t + 2] - pc[t + 2])) * 0.5;
          const v3 = (0 + (ps[r3 + j] - pc[r3 + j])) * 0.5 + (0 + (ps[t + 3] - pc[t + 3])) * 0.5;
          // NaN if one is NaN, else Infinity if one is infinite.
          const x = Math.max(Math.abs(v0), Math.abs(v1), Math.abs(v2), Math.abs(v3));
          if (!(x <= amax)) {
            if (!Number.isFinite(x)) {
              finite = false;
              break;
            }
            amax = x;
          }
          const f0 = v0 * scale;
          const f1 = v1 * scale;
          const f2 = v2 * scale;
          const f3 = v3 * scale;
          s[r0 + j] = f0;
          s[r1 + j] = f1;
          s[r2 + j] = f2;
          s[r3 + j] = f3;
          s[t] = f0;
          s[t + 1] = f1;
          s[t + 2] = f2;
          s[t + 3] = f3;
        }
      }
      // The last block row's rows past a multiple of four.
      for (; i < i1 && finite; i++) finite = !Number.isNaN((amax = rowPart(ps, pc, n, s, scale, i, j0, j1, amax)));
    }
    // The diagonal tile: row i takes j in [i0, i).
    for (let i = i0 + 1; i < i1 && finite; i++) finite = !Number.isNaN((amax = rowPart(ps, pc, n, s, scale, i, i0, i, amax)));
    amaxes[b] = finite ? amax : NaN;
    if (Atomics.add(ctrl, 1, 1) === units - 1) Atomics.notify(ctrl, 1);
  }
}
