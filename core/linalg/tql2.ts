// Implicit QL on a small symmetric tridiagonal matrix (EISPACK tql2, as in JAMA): the leaf solver of
// divide and conquer. O(m³) in plain JS, so it is only used for blocks of a few dozen rows.

export class ConvergenceError extends Error {
  override name = 'ConvergenceError';
}

/**
 * Eigen-decomposes the tridiagonal (d, e) of size m in place: on return d holds the eigenvalues in
 * ascending order and `z` (m×m row-major) the eigenvectors in its columns. e[i] couples rows i, i+1
 * (length ≥ m−1); it is destroyed.
 */
export function tql2(d: Float64Array, e: Float64Array, m: number, z: Float64Array): void {
  z.fill(0, 0, m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
  if (m <= 1) return;
  // JAMA's indexing: off[i] couples i-1 and i, off[m-1] = 0.
  const off = new Float64Array(m);
  for (let i = 1; i < m; i++) off[i - 1] = e[i - 1];
  off[m - 1] = 0;
  let f = 0;
  let tst1 = 0;
  const eps = 2 ** -52;
  for (let l = 0; l < m; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(off[l]));
    let mm = l;
    while (mm < m) {
      if (Math.abs(off[mm]) <= eps * tst1) break;
      mm++;
    }
    if (mm > l) {
      let iter = 0;
      do {
        if (++iter > 60 * m) throw new ConvergenceError(`tridiagonal QL did not converge (block of ${m})`);
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * off[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = off[l] / (p + r);
        d[l + 1] = off[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < m; i++) d[i] -= h;
        f += h;
        p = d[mm];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = off[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = mm - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * off[i];
          h = c * p;
          r = Math.hypot(p, off[i]);
          off[i + 1] = s * r;
          s = off[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          for (let k = 0; k < m; k++) {
            const row = k * m;
            h = z[row + i + 1];
            z[row + i + 1] = s * z[row + i] + c * h;
            z[row + i] = c * z[row + i] - s * h;
          }
        }
        p = (-s * s2 * c3 * el1 * off[l]) / dl1;
        off[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(off[l]) > eps * tst1);
    }
    d[l] = d[l] + f;
    off[l] = 0;
  }
  // Selection sort ascending, moving columns along.
  for (let i = 0; i < m - 1; i++) {
    let k = i;
    let p = d[i];
    for (let j = i + 1; j < m; j++) if (d[j] < p) ((k = j), (p = d[j]));
    if (k !== i) {
      d[k] = d[i];
      d[i] = p;
      for (let r = 0; r < m; r++) {
        const row = r * m;
        const t = z[row + i];
        z[row + i] = z[row + k];
        z[row + k] = t;
      }
    }
  }
}
