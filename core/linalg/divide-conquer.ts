// Cuppen's divide and conquer for the symmetric tridiagonal eigenproblem (LAPACK dstedc/dlaed0–3):
// tear T into two halves plus a rank-one term, solve the halves recursively, then merge through the
// secular equation. Deflation (tiny z components, nearly equal poles) is what makes clustered and
// repeated eigenvalues exact and what makes D&C fast in practice. The merge's O(m·k²) product of the
// children's vectors with the secular vectors runs as ORT Gemm calls, split by the rows that are
// nonzero (top half, bottom half) as in dlaed3.
import { gemm } from './matmul';
import { solveSecular, secularVectors } from './secular';
import { tql2 } from './tql2';

const EPS = 2 ** -53;

export interface TridiagonalEigen {
  /** Ascending. */
  values: Float64Array;
  /** m×m row-major, column j the eigenvector of values[j]. */
  vectors: Float64Array;
}

export interface DivideConquerOptions {
  /** Blocks of at most this size are solved by implicit QL (default 32). */
  leafSize?: number;
  signal?: AbortSignal;
}

/** Eigen-decomposition of the tridiagonal (d, e) of size m; d and e are not modified. */
export async function tridiagonalEigen(d: Float64Array, e: Float64Array, m: number, opts: DivideConquerOptions = {}): Promise<TridiagonalEigen> {
  const leaf = Math.max(2, opts.leafSize ?? 32);
  return solve(d.slice(0, m), e.slice(0, Math.max(m - 1, 0)), m, leaf, opts.signal);
}

async function solve(d: Float64Array, e: Float64Array, m: number, leaf: number, signal?: AbortSignal): Promise<TridiagonalEigen> {
  signal?.throwIfAborted();
  if (m <= leaf) {
    const values = d.slice();
    const vectors = new Float64Array(m * m);
    tql2(values, e.slice(), m, vectors);
    return { values, vectors };
  }
  const n1 = m >> 1;
  const beta = e[n1 - 1];
  const rho = Math.abs(beta);
  const d1 = d.slice(0, n1);
  const d2 = d.slice(n1);
  d1[n1 - 1] -= rho;
  d2[0] -= rho;
  const left = await solve(d1, e.subarray(0, n1 - 1), n1, leaf, signal);
  const right = await solve(d2, e.subarray(n1), m - n1, leaf, signal);
  return merge(left, right, n1, m - n1, rho, beta < 0 ? -1 : 1);
}

const TOP = 1;
const MIXED = 2;
const BOTTOM = 3;

/**
 * Eigen-decomposition of diag(Q1, Q2)·(diag(λ1, λ2) + ρ·z·zᵀ)·diag(Q1, Q2)ᵀ with z = [last row of
 * Q1, sign·first row of Q2] — the tridiagonal whose halves the children solved.
 */
async function merge(left: TridiagonalEigen, right: TridiagonalEigen, n1: number, n2: number, rho: number, sign: number): Promise<TridiagonalEigen> {
  const m = n1 + n2;
  // Columns of the merged basis, sorted by value (the children are each sorted ascending).
  const D = new Float64Array(m);
  const Z = new Float64Array(m);
  const src = new Int32Array(m); // < n1: column of Q1; else n1 + column of Q2
  for (let a = 0, b = 0, c = 0; c < m; c++) {
    if (b >= n2 || (a < n1 && left.values[a] <= right.values[b])) {
      D[c] = left.values[a];
      Z[c] = left.vectors[(n1 - 1) * n1 + a];
      src[c] = a++;
    } else {
      D[c] = right.values[b];
      Z[c] = sign * right.vectors[b];
      src[c] = n1 + b++;
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

  // Column vectors, materialized lazily only for columns that a rotation mixes.
  const type = new Uint8Array(m);
  for (let c = 0; c < m; c++) type[c] = src[c] < n1 ? TOP : BOTTOM;
  const mixedCols = new Map<number, Float64Array>();
  const column = (c: number): Float64Array => {
    let v = mixedCols.get(c);
    if (!v) {
      v = new Float64Array(m);
      const s = src[c];
      if (s < n1) for (let r = 0; r < n1; r++) v[r] = left.vectors[r * n1 + s];
      else for (let r = 0; r < n2; r++) v[n1 + r] = right.vectors[r * n2 + (s - n1)];
      mixedCols.set(c, v);
    }
    return v;
  };

  // Deflation (dlaed2): drop tiny z_c; rotate nearly equal pole pairs so one z vanishes.
  const deflated = new Uint8Array(m);
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
        // Rotate columns pj, c so that z_pj = 0: pj becomes an eigenvector, exactly.
        Z[c] = tau;
        Z[pj] = 0;
        const vp = column(pj);
        const vc = column(c);
        for (let r = 0; r < m; r++) {
          const x = vp[r];
          const y = vc[r];
          vp[r] = cs * x + sn * y;
          vc[r] = cs * y - sn * x;
        }
        if (type[pj] !== type[c]) type[pj] = type[c] = MIXED;
        const dp = D[pj] * cs * cs + D[c] * sn * sn;
        D[c] = D[pj] * sn * sn + D[c] * cs * cs;
        D[pj] = dp;
        deflated[pj] = 1;
      }
      pj = c;
    }
  }

  // Non-deflated part: secular equation, ordered by value (rotations may perturb order by ~tol).
  const keep: number[] = [];
  for (let c = 0; c < m; c++) if (!deflated[c]) keep.push(c);
  keep.sort((x, y) => D[x] - D[y]);
  const k = keep.length;
  const dk = new Float64Array(k);
  const zk = new Float64Array(k);
  keep.forEach((c, i) => {
    dk[i] = D[c];
    zk[i] = Z[c];
  });
  const roots = solveSecular(dk, zk, k, rho);
  const U = secularVectors(dk, zk, k, roots);

  // Q_new[:, roots] = [Q1-part; Q2-part]·U, computed as a top-rows and a bottom-rows Gemm over the
  // columns that are nonzero there. Loops run row by row: every access is sequential.
  const gather = (side: 'top' | 'bottom') => {
    const isTop = side === 'top';
    const rows = isTop ? n1 : n2;
    const r0 = isTop ? 0 : n1;
    const q0 = isTop ? left.vectors : right.vectors;
    const w = isTop ? n1 : n2;
    const cols: number[] = [];
    const rootIdx: number[] = [];
    keep.forEach((c, i) => {
      if (type[c] !== (isTop ? BOTTOM : TOP)) {
        cols.push(c);
        rootIdx.push(i);
      }
    });
    const q = cols.length;
    const A = new Float64Array(rows * q);
    const B = new Float64Array(q * k);
    const plain = new Int32Array(q).fill(-1); // column of q0 for unmixed columns
    cols.forEach((c, j) => {
      if (!mixedCols.has(c)) plain[j] = isTop ? src[c] : src[c] - n1;
      B.set(U.subarray(rootIdx[j] * k, (rootIdx[j] + 1) * k), j * k);
    });
    for (let r = 0; r < rows; r++) {
      const ro = r * w;
      const ao = r * q;
      for (let j = 0; j < q; j++) if (plain[j] >= 0) A[ao + j] = q0[ro + plain[j]];
    }
    cols.forEach((c, j) => {
      const mixed = mixedCols.get(c);
      if (mixed) for (let r = 0; r < rows; r++) A[r * q + j] = mixed[r0 + r];
    });
    return { A, B, q, rows };
  };
  const parts: Float64Array[] = [];
  for (const side of ['top', 'bottom'] as const) {
    const g = gather(side);
    parts.push(k > 0 ? await gemm(g.A, g.B, g.rows, g.q, k) : new Float64Array(0));
  }
  const [yTop, yBot] = parts;

  // Assemble all eigenpairs sorted ascending, row by row.
  const order: { value: number; root: number; col: number }[] = [];
  for (let i = 0; i < k; i++) order.push({ value: roots.lambda[i], root: i, col: -1 });
  for (let c = 0; c < m; c++) if (deflated[c]) order.push({ value: D[c], root: -1, col: c });
  order.sort((x, y) => x.value - y.value);
  const values = new Float64Array(m);
  const vectors = new Float64Array(m * m);
  const rootOf = new Int32Array(m).fill(-1);
  const fromLeft = new Int32Array(m).fill(-1);
  const fromRight = new Int32Array(m).fill(-1);
  order.forEach((o, j) => {
    values[j] = o.value;
    if (o.root >= 0) rootOf[j] = o.root;
    else if (mixedCols.has(o.col)) {
      const v = mixedCols.get(o.col)!;
      for (let r = 0; r < m; r++) vectors[r * m + j] = v[r];
    } else if (src[o.col] < n1) fromLeft[j] = src[o.col];
    else fromRight[j] = src[o.col] - n1;
  });
  for (let r = 0; r < m; r++) {
    const top = r < n1;
    const y = top ? yTop : yBot;
    const yo = (top ? r : r - n1) * k;
    const q = top ? left.vectors : right.vectors;
    const qo = top ? r * n1 : (r - n1) * n2;
    const from = top ? fromLeft : fromRight;
    const vo = r * m;
    for (let j = 0; j < m; j++) {
      const root = rootOf[j];
      if (root >= 0) vectors[vo + j] = y[yo + root];
      else if (from[j] >= 0) vectors[vo + j] = q[qo + from[j]];
    }
  }
  return { values, vectors };
}
