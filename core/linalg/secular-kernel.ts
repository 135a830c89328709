// The secular equation's per-index work, as four self-contained functions (no reference outside
// their bodies, no nested named functions) so that worker threads can run its source text (secular-pool.ts)
// and the serial path (secular.ts) runs the very same code. Each phase is a set of independent units
// (a root, a block of ẑ components, a column, a tile row of the transpose); a participant takes
// `chunk` units at a time from counter[0] (Atomics.add), so any number of threads, or one, compute
// every element with the same arithmetic: the results do not depend on the thread count.

/**
 * Participants' shares of one secular solve, run phase by phase in this order (each needs the previous
 * one finished everywhere). Arrays (length k unless said): d poles (strictly increasing), z, z2 = z²,
 * lambda (roots), zhat (Löwner's ẑ), inv (1/column norms), delta k×k row-major: d_i − λ_j in row j
 * after the roots, the unnormalized columns after `columns`, U after `transpose`. Each takes `chunk`
 * units at a time from counter[0] until `units` are taken.
 */
/**
 * Roots j (units: k); returns −1, or the index of a root that did not converge. `origin` and `tau`, when
 * given, get each root's nearer pole's index o and offset τ (λ_j = d_o + τ; delta[j·k + i] = (d_i − d_o) − τ).
 */
export function secularRoots(k: number, rho: number, d: Float64Array, z2: Float64Array, lambda: Float64Array, delta: Float64Array, counter: Int32Array, chunk: number, origin?: Float64Array, tauOut?: Float64Array): number {
  const EPS = 2 ** -53;
  for (;;) {
    const u0 = Atomics.add(counter, 0, chunk);
    if (u0 >= k) return -1;
    const u1 = Math.min(k, u0 + chunk);
    // Roots j ∈ [u0, u1), each relative to its nearer pole (λ = d_o + τ) so that every d_i − λ is
    // accurate to a few ulps relative; delta row j gets them.
    const rhoinv = 1 / rho;
    for (let j = u0; j < u1; j++) {
      // ψ (poles ≤ j) and φ (poles > j) with their derivatives at the current point: one pass over
      // all k poles, one division per term. The midpoint evaluation that picks the origin is also
      // the first iterate.
      let psi = 0;
      let dpsi = 0;
      let phi = 0;
      let dphi = 0;
      let lo: number;
      let hi: number;
      let tau: number;
      let dorg: number;
      let org: number;
      let evalOrigin: number;
      let evalT: number;
      if (j === k - 1) {
        let zz = 0;
        for (let i = 0; i < k; i++) zz += z2[i];
        dorg = d[j];
        org = j;
        lo = 0;
        hi = rho * zz;
        tau = (lo + hi) / 2;
        evalOrigin = dorg;
        evalT = tau;
      } else {
        evalOrigin = d[j] + (d[j + 1] - d[j]) / 2;
        evalT = 0;
        dorg = lo = hi = tau = 0;
        org = j;
      }
      let failed = true;
      // τ ∈ [lo, hi] relative to the nearer pole; each step updates the bracket by the sign of f (f
      // increases with τ), then tries a rational step that models the two nearest poles exactly,
      // falling back to bisection.
      for (let iter = 0; iter < 400; iter++) {
        if (iter > 0) {
          evalOrigin = dorg;
          evalT = tau;
        }
        psi = dpsi = phi = dphi = 0;
        for (let i = 0; i <= j; i++) {
          const r = 1 / (d[i] - evalOrigin - evalT);
          const q = z2[i] * r;
          psi += q;
          dpsi += q * r;
        }
        for (let i = j + 1; i < k; i++) {
          const r = 1 / (d[i] - evalOrigin - evalT);
          const q = z2[i] * r;
          phi += q;
          dphi += q * r;
        }
        if (iter === 0 && j < k - 1) {
          const gap = d[j + 1] - d[j];
          if (rhoinv + psi + phi >= 0) {
            dorg = d[j];
            org = j;
            lo = 0;
            hi = tau = gap / 2;
          } else {
            dorg = d[j + 1];
            org = j + 1;
            lo = tau = -gap / 2;
            hi = 0;
          }
        }
        const abssum = phi - psi; // psi ≤ 0 ≤ phi termwise
        const f = rhoinv + psi + phi;
        const fp = dpsi + dphi;
        if (Math.abs(f) <= 8 * EPS * (rhoinv + abssum) + EPS * Math.abs(tau) * fp) {
          failed = false;
          break;
        }
        if (f < 0) lo = tau;
        else hi = tau;
        if (hi - lo <= 2 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) {
          failed = false;
          break;
        }
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
      }
      if (failed) return j;
      const row = j * k;
      for (let i = 0; i < k; i++) delta[row + i] = d[i] - dorg - tau;
      lambda[j] = dorg + tau;
      if (origin) origin[j] = org;
      if (tauOut) tauOut[j] = tau;
    }
  }
}

/** ẑ_i for i in blocks of 64 (units: ⌈k/64⌉). */
export function secularLowner(k: number, d: Float64Array, z: Float64Array, zhat: Float64Array, delta: Float64Array, counter: Int32Array, chunk: number): number {
  for (;;) {
    const u0 = Atomics.add(counter, 0, chunk);
    if (u0 >= Math.ceil(k / 64)) return -1;
    const u1 = Math.min(Math.ceil(k / 64), u0 + chunk);
    // ẑ_i² = −δ_i(i)·Π_{j≠i} δ_j(i)/(d_i − d_j), δ_j(i) = d_i − λ_j, for i ∈ [i0, i1): j outer, so
    // each pass reads a contiguous piece of one row of delta; the product order per i is j = 0…k−1.
    const i0 = u0 * 64;
    const i1 = Math.min(k, u1 * 64);
    for (let i = i0; i < i1; i++) zhat[i] = -delta[i * k + i];
    for (let j = 0; j < k; j++) {
      const row = j * k;
      const dj = d[j];
      const a1 = Math.min(j, i1);
      for (let i = i0; i < a1; i++) zhat[i] *= delta[row + i] / (d[i] - dj);
      for (let i = Math.max(j + 1, i0); i < i1; i++) zhat[i] *= delta[row + i] / (d[i] - dj);
    }
    for (let i = i0; i < i1; i++) zhat[i] = Math.sign(z[i]) * Math.sqrt(Math.abs(zhat[i]));
  }
}

/** Column j, unnormalized, in row j of delta, and inv[j] (units: k). */
export function secularColumns(k: number, zhat: Float64Array, inv: Float64Array, delta: Float64Array, counter: Int32Array, chunk: number): number {
  for (;;) {
    const u0 = Atomics.add(counter, 0, chunk);
    if (u0 >= k) return -1;
    const u1 = Math.min(k, u0 + chunk);
    // Column j is ẑ_i/δ_j(i), formed in row j of delta (contiguous, in place); inv[j] its 1/norm.
    for (let j = u0; j < u1; j++) {
      const row = j * k;
      let nrm = 0;
      for (let i = 0; i < k; i++) {
        const u = zhat[i] / delta[row + i];
        delta[row + i] = u;
        nrm += u * u;
      }
      inv[j] = 1 / Math.sqrt(nrm);
    }
  }
}

/** U = the columns transposed and scaled by inv, in place, by 64-wide tile rows (units: ⌈k/64⌉). */
export function secularTranspose(k: number, inv: Float64Array, delta: Float64Array, counter: Int32Array, chunk: number): number {
  for (;;) {
    const u0 = Atomics.add(counter, 0, chunk);
    if (u0 >= Math.ceil(k / 64)) return -1;
    const u1 = Math.min(Math.ceil(k / 64), u0 + chunk);
    // U[i][j] = cols[j][i]·inv[j]: tile row t swaps tiles (t, t…) with (…, t), scaling both.
    const U = delta;
    for (let t = u0; t < u1; t++) {
      const i0 = t * 64;
      const i1 = Math.min(k, i0 + 64);
      for (let j0 = i0; j0 < k; j0 += 64) {
        const j1 = Math.min(k, j0 + 64);
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
  }
}
