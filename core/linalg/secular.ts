// The secular equation of a rank-one update, f(λ) = 1/ρ + Σ z_i²/(d_i − λ) = 0, whose roots are the
// eigenvalues of D + ρ·z·zᵀ (d strictly increasing, z_i ≠ 0, ρ > 0). Each root is found relative to
// its nearer pole (λ = d_o + τ) so that every difference d_i − λ is computed to high relative
// accuracy — which Gu–Eisenstat's eigenvector formula needs for orthogonal vectors.
import { ConvergenceError } from './tql2';

const EPS = 2 ** -53;

export interface SecularRoots {
  /** Roots in ascending order, λ_j ∈ (d_j, d_{j+1}). */
  lambda: Float64Array;
  /** k×k row-major: delta[j·k + i] = d_i − λ_j, accurate to a few ulps relative. */
  delta: Float64Array;
}

/** ψ, ψ', φ, φ' at λ = origin + t (poles ≤ j in ψ): one pass, one division per term. */
function evalSums(d: Float64Array, z2: Float64Array, k: number, j: number, origin: number, t: number, out: Float64Array): void {
  let a = 0;
  let da = 0;
  let b = 0;
  let db = 0;
  for (let i = 0; i <= j; i++) {
    const r = 1 / (d[i] - origin - t);
    const q = z2[i] * r;
    a += q;
    da += q * r;
  }
  for (let i = j + 1; i < k; i++) {
    const r = 1 / (d[i] - origin - t);
    const q = z2[i] * r;
    b += q;
    db += q * r;
  }
  out[0] = a;
  out[1] = da;
  out[2] = b;
  out[3] = db;
}

function root(d: Float64Array, z2: Float64Array, k: number, rho: number, j: number, delta: Float64Array): number {
  const rhoinv = 1 / rho;
  const dj = delta.subarray(j * k, (j + 1) * k);
  // ψ (poles ≤ j) and φ (poles > j) with their derivatives at the current point. Each evaluation is a
  // pass over all k poles, one division per term; they are most of the secular solve's time, so the
  // midpoint evaluation that picks the origin is also the first iterate.
  let psi = 0;
  let dpsi = 0;
  let phi = 0;
  let dphi = 0;
  let lo: number;
  let hi: number;
  let tau: number;
  let dorg: number;
  const sums = new Float64Array(4);
  const evaluate = (origin: number, t: number) => {
    evalSums(d, z2, k, j, origin, t, sums);
    psi = sums[0];
    dpsi = sums[1];
    phi = sums[2];
    dphi = sums[3];
  };
  if (j === k - 1) {
    let zz = 0;
    for (let i = 0; i < k; i++) zz += z2[i];
    dorg = d[j];
    lo = 0;
    hi = rho * zz;
    tau = (lo + hi) / 2;
    evaluate(dorg, tau);
  } else {
    const gap = d[j + 1] - d[j];
    evaluate(d[j] + gap / 2, 0);
    if (rhoinv + psi + phi >= 0) {
      dorg = d[j];
      lo = 0;
      hi = tau = gap / 2;
    } else {
      dorg = d[j + 1];
      lo = tau = -gap / 2;
      hi = 0;
    }
  }
  // τ ∈ [lo, hi] relative to the nearer pole; each step updates the bracket by the sign of f (f
  // increases with τ), then tries a rational step that models the two nearest poles exactly, falling
  // back to bisection.
  for (let iter = 0; iter < 400; iter++) {
    if (iter > 0) evaluate(dorg, tau);
    const abssum = phi - psi; // psi ≤ 0 ≤ phi termwise
    const f = rhoinv + psi + phi;
    const fp = dpsi + dphi;
    if (Math.abs(f) <= 8 * EPS * (rhoinv + abssum) + EPS * Math.abs(tau) * fp) break;
    if (f < 0) lo = tau;
    else hi = tau;
    if (hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) break;
    let next = NaN;
    const dl = d[j] - dorg - tau;
    if (j < k - 1) {
      const du = d[j + 1] - dorg - tau;
      const s = dl * dl * dpsi;
      const S = du * du * dphi;
      const c = f - dl * dpsi - du * dphi;
      const B = c * (dl + du) + s + S;
      const C = f * dl * du;
      let eta: number;
      if (c === 0) eta = C / B;
      else {
        const disc = Math.sqrt(Math.max(B * B - 4 * c * C, 0));
        const q = B >= 0 ? B + disc : B - disc;
        const e1 = (2 * C) / q;
        const e2 = q / (2 * c);
        eta = e1 > dl && e1 < du ? e1 : e2;
      }
      next = tau + eta;
    } else {
      // Last root: model everything left of λ as one pole at d_j.
      const s = dl * dl * dpsi;
      const c = f - dl * dpsi;
      if (c > 0) next = tau + dl + s / c;
    }
    tau = next > lo && next < hi ? next : (lo + hi) / 2;
    if (iter === 399) throw new ConvergenceError(`secular equation did not converge (root ${j} of ${k})`);
  }
  for (let i = 0; i < k; i++) dj[i] = d[i] - dorg - tau;
  return dorg + tau;
}

/**
 * All k roots of the secular equation with their pole distances. `work` (≥ k² elements), when given,
 * holds delta (no fresh k×k array per merge).
 */
export function solveSecular(d: Float64Array, z: Float64Array, k: number, rho: number, work?: Float64Array): SecularRoots {
  const z2 = new Float64Array(k);
  for (let i = 0; i < k; i++) z2[i] = z[i] * z[i];
  const lambda = new Float64Array(k);
  const delta = work ? work.subarray(0, k * k) : new Float64Array(k * k);
  for (let j = 0; j < k; j++) lambda[j] = root(d, z2, k, rho, j, delta);
  return { lambda, delta };
}

/**
 * Gu–Eisenstat: the eigenvectors of D + ρ·z·zᵀ, computed from the roots through a vector ẑ for which
 * the computed roots are exact (Löwner's formula), so the columns are orthogonal to working precision
 * however close the roots are. Returns U k×k row-major, column j the unit eigenvector of λ_j.
 * U is returned in roots.delta's memory (its last use).
 */
export function secularVectors(d: Float64Array, z: Float64Array, k: number, roots: SecularRoots): Float64Array {
  const { delta } = roots;
  // ẑ_i² = Π_j (λ_j − d_i) / Π_{j≠i} (d_j − d_i) = −δ_i(i)·Π_{j≠i} δ_j(i)/(d_i − d_j), δ_j(i) = d_i − λ_j.
  // Accumulated for all i at once, j outer: each pass reads one contiguous row of delta (i inner,
  // the same product order per i as a per-i loop).
  const w = new Float64Array(k);
  for (let i = 0; i < k; i++) w[i] = -delta[i * k + i];
  for (let j = 0; j < k; j++) {
    const row = j * k;
    const dj = d[j];
    for (let i = 0; i < j; i++) w[i] *= delta[row + i] / (d[i] - dj);
    for (let i = j + 1; i < k; i++) w[i] *= delta[row + i] / (d[i] - dj);
  }
  const zhat = new Float64Array(k);
  for (let i = 0; i < k; i++) zhat[i] = Math.sign(z[i]) * Math.sqrt(Math.abs(w[i]));
  // Column j is ẑ_i/δ_j(i), normalized: formed in row j of delta (contiguous, in place), then the
  // square matrix is transposed in place in 64×64 tiles, so U takes delta's memory.
  const cols = delta;
  const inv = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const row = j * k;
    let nrm = 0;
    for (let i = 0; i < k; i++) {
      const u = zhat[i] / delta[row + i];
      cols[row + i] = u;
      nrm += u * u;
    }
    inv[j] = 1 / Math.sqrt(nrm);
  }
  // U[i][j] = cols[j][i]·inv[j], swapping (i, j) with (j, i) and scaling both on the way.
  const U = cols;
  const TILE = 64;
  for (let i0 = 0; i0 < k; i0 += TILE) {
    const i1 = Math.min(k, i0 + TILE);
    for (let j0 = i0; j0 < k; j0 += TILE) {
      const j1 = Math.min(k, j0 + TILE);
      for (let i = i0; i < i1; i++) {
        const si = inv[i];
        if (j0 === i0) U[i * k + i] *= si;
        for (let j = j0 === i0 ? i + 1 : j0; j < j1; j++) {
          const x = U[i * k + j];
          U[i * k + j] = U[j * k + i] * inv[j];
          U[j * k + i] = x * si;
        }
      }
    }
  }
  return U;
}
