// The secular equation of a rank-one update, f(λ) = 1/ρ + Σ z_i²/(d_i − λ) = 0, whose roots are the
// eigenvalues of D + ρ·z·zᵀ (d strictly increasing, z_i ≠ 0, ρ > 0). Each root is found relative to
// its nearer pole (λ = d_o + τ) so that every difference d_i − λ is computed to high relative
// accuracy — which Gu–Eisenstat's eigenvector formula needs for orthogonal vectors.
import { ConvergenceError } from './tql2';
import { secularColumns, secularLowner, secularRoots, secularTranspose } from './secular-kernel';

export interface SecularRoots {
  /** Roots in ascending order, λ_j ∈ (d_j, d_{j+1}). */
  lambda: Float64Array;
  /** k×k row-major: delta[j·k + i] = d_i − λ_j, accurate to a few ulps relative. */
  delta: Float64Array;
  /** Per root, its nearer pole's index o and the offset τ: λ_j = d_o + τ, delta[j·k + i] = (d_i − d_o) − τ. */
  origin: Float64Array;
  tau: Float64Array;
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
  const origin = new Float64Array(k);
  const tau = new Float64Array(k);
  const failed = secularRoots(k, rho, d, z2, lambda, delta, new Int32Array(1), k, origin, tau);
  if (failed >= 0) throw new ConvergenceError(`secular equation did not converge (root ${failed} of ${k})`);
  return { lambda, delta, origin, tau };
}

/**
 * Gu–Eisenstat: the eigenvectors of D + ρ·z·zᵀ, computed from the roots through a vector ẑ for which
 * the computed roots are exact (Löwner's formula), so the columns are orthogonal to working precision
 * however close the roots are. Returns U k×k row-major, column j the unit eigenvector of λ_j.
 * U is returned in roots.delta's memory (its last use).
 */
export function secularVectors(d: Float64Array, z: Float64Array, k: number, roots: SecularRoots): Float64Array {
  const { delta } = roots;
  // Löwner's ẑ (the same product order per i as a per-i loop), the normalized columns, then U as
  // their transpose in delta's memory: secular-kernel.ts's phases, all units in this thread.
  const zhat = new Float64Array(k);
  const inv = new Float64Array(k);
  secularLowner(k, d, z, zhat, delta, new Int32Array(1), k);
  secularColumns(k, zhat, inv, delta, new Int32Array(1), k);
  secularTranspose(k, inv, delta, new Int32Array(1), k);
  return delta;
}

/**
 * Löwner's ẑ alone (secularVectors' first phase): with the roots' origins and offsets, all a device needs
 * to form the eigenvectors itself (merge-spec.ts).
 */
export function secularZhat(d: Float64Array, z: Float64Array, k: number, roots: SecularRoots): Float64Array {
  const zhat = new Float64Array(k);
  secularLowner(k, d, z, zhat, roots.delta, new Int32Array(1), k);
  return zhat;
}
