// A divide-and-conquer merge's rank-one problem and its deflation (LAPACK dlaed2): the children's
// eigenpairs sorted into one basis by value, z from the children's boundary rows, then tiny z components
// and nearly equal pole pairs deflated. Only O(m) data: the children's vectors are read through one row
// each (the last row of Q1, the first of Q2), wherever those matrices live.

const EPS = 2 ** -53;

/** One child's solution as a merge sees it: ascending values and, per value, its column and boundary-row entry. */
export interface MergeChild {
  values: Float64Array;
  columns: Int32Array;
  /** The child's vectors' last row (left child) or first row (right child), by column. */
  row: Float64Array;
}

export interface MergeBasis {
  /** Poles per basis column, sorted by value (rotations may perturb the order by ~tol). */
  D: Float64Array;
  /** Normalized z (‖z‖ = 1), zero where a rotation deflated. */
  Z: Float64Array;
  /** src[c]: the row of M that multiplies basis column c (a column of Q1, or n1 + a column of Q2). */
  src: Int32Array;
  /** ρ·‖z‖², so that ρ·z·zᵀ is unchanged by the normalization. */
  rho: number;
  /** 1 where basis column c is an eigenvector as it stands. */
  deflated: Uint8Array;
  /** Recorded rotations (pj, c, cosine, sine), in the order made: b_pj ← cs·b_pj + sn·b_c, b_c ← cs·b_c − sn·b_pj. */
  rotations: number[];
}

/**
 * The basis of diag(λ1, λ2) + ρ·z·zᵀ with z = [last row of Q1, sign·first row of Q2], sorted and
 * deflated.
 */
export function mergeBasis(left: MergeChild, right: MergeChild, n1: number, n2: number, rho: number, sign: number): MergeBasis {
  const m = n1 + n2;
  const D = new Float64Array(m);
  const Z = new Float64Array(m);
  const src = new Int32Array(m);
  for (let a = 0, b = 0, c = 0; c < m; c++) {
    if (b >= n2 || (a < n1 && left.values[a] <= right.values[b])) {
      const col = left.columns[a++];
      D[c] = left.values[a - 1];
      Z[c] = left.row[col];
      src[c] = col;
    } else {
      const col = right.columns[b++];
      D[c] = right.values[b - 1];
      Z[c] = sign * right.row[col];
      src[c] = n1 + col;
    }
  }
  // Normalize so ‖z‖ = 1 (‖z‖² = 2 up to rounding): ρ·z·zᵀ is unchanged.
  let zn = 0;
  for (let c = 0; c < m; c++) zn += Z[c] * Z[c];
  zn = Math.sqrt(zn);
  for (let c = 0; c < m; c++) Z[c] /= zn;
  rho *= zn * zn;
  let dmax = 0;
  let zmax = 0;
  for (let c = 0; c < m; c++) {
    dmax = Math.max(dmax, Math.abs(D[c]));
    zmax = Math.max(zmax, Math.abs(Z[c]));
  }
  const tol = 16 * EPS * Math.max(dmax, zmax);

  // Deflation (dlaed2): drop tiny z_c; rotate nearly equal pole pairs so one z vanishes. Rotations
  // are recorded (basis columns pj, c; cosine, sine) and applied to M's rows by the caller.
  const deflated = new Uint8Array(m);
  const rotations: number[] = [];
  if (rho * zmax <= tol) deflated.fill(1);
  else {
    let pj = -1;
    for (let c = 0; c < m; c++) {
      if (rho * Math.abs(Z[c]) <= tol) {
        deflated[c] = 1;
        continue;
      }
      if (pj < 0) {
        pj = c;
        continue;
      }
      const s0 = Z[pj];
      const c0 = Z[c];
      const tau = Math.hypot(c0, s0);
      const t = D[c] - D[pj];
      const cs = c0 / tau;
      const sn = -s0 / tau;
      if (Math.abs(t * cs * sn) <= tol) {
        // Rotate basis columns pj, c (b_pj ← cs·b_pj + sn·b_c, b_c ← cs·b_c − sn·b_pj) so that
        // z_pj = 0: pj becomes an eigenvector, exactly.
        Z[c] = tau;
        Z[pj] = 0;
        rotations.push(pj, c, cs, sn);
        const dp = D[pj] * cs * cs + D[c] * sn * sn;
        D[c] = D[pj] * sn * sn + D[c] * cs * cs;
        D[pj] = dp;
        deflated[pj] = 1;
      }
      pj = c;
    }
  }
  return { D, Z, src, rho, deflated, rotations };
}
