// WGSL shaders of the blocked Householder tridiagonalization (LAPACK dsytrd/dlatrd, lower, full symmetric
// storage; orchestrated by wgsl-panels.ts). Within a panel of nb columns starting at c0 the matrix is not
// updated: column k's product is p = τ(A·v − V_p·(W_pᵀv) − W_p·(V_pᵀv)) with the panel's earlier
// reflectors V_p and their w vectors W_p, and row k is formed with those pending updates applied. After
// the panel one GEMM (wgsl-shaders.ts GEMM, K = 2nb) stores A ← A − V_pᵀW_p − W_pᵀV_p on the trailing
// square. So a column reads the trailing matrix once (the matvec) and writes nothing of it:
//   house(k)   one workgroup: w_{k−1} = p_{k−1} − ½τ_{k−1}(p_{k−1}·v_{k−1})v_{k−1} into U (when k−1 is in
//              the panel); row k = S (or A's row k at a panel's first column) minus reflector k−1's pending
//              update; d_k; the reflector (v_k, τ_k, e_k). With wOnly set it stops after w (a panel's last).
//   dots(k)    2i workgroups (i = k − c0 > 0): y_m = w_m·v_k and z_m = v_m·v_k for the panel's m < i.
//   matvec(k)  one workgroup per trailing row r > k: p_r = τ_k(A_r·v_k − Σ_m v_{m,r}y_m + w_{m,r}z_m); and
//              when k + 1 is in the panel, ⌈(n−k−1)/WG⌉ more: S = row k + 1 minus the pending updates of
//              reflectors c0..k−1 (house(k + 1) subtracts reflector k's).
// U (3nb × n) holds the panel's [V_p; W_p; V_p] rows, so that the trailing update is the single GEMM
// [V_p; W_p]ᵀ·[W_p; V_p]. S holds the row (0..n), then y (n..n+i) and z (n+i..n+2i). Reflector k is also
// row k of V (zero up to column k, 1 at k+1); tri holds d (0..n), e (n..2n), τ (2n..3n).
import { LARFG, REDUCE, WG } from './wgsl-shaders';

const PANEL_COMMON = /* wgsl */ `
struct Params { k: u32, n: u32, c0: u32, nb: u32, wOnly: u32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> pv: array<f32>;
@group(0) @binding(4) var<storage, read_write> U: array<f32>;
@group(0) @binding(5) var<storage, read_write> tri: array<f32>;
@group(0) @binding(6) var<storage, read_write> S: array<f32>;
${REDUCE}
${LARFG}
`;

export const PANEL_HOUSE = /* wgsl */ `${PANEL_COMMON}
// Row k's element j (j ≥ k): the panel's pending updates of reflectors c0..k−2 are in S already (prev),
// reflector k−1's is applied here; at a panel's first column the row is A's.
fn rowk(j: u32, k: u32, n: u32, pr: u32, vk: f32, wk: f32, K: f32, prev: bool) -> f32 {
  if (!prev) { return A[k * n + j]; }
  let vj = V[pr + j];
  return S[j] - vk * (pv[j] + K * vj) - wk * vj;
}

@compute @workgroup_size(${WG})
fn house(@builtin(local_invocation_index) t: u32) {
  let k = P.k;
  let n = P.n;
  let nb = P.nb;
  let i = k - P.c0;
  let prev = i > 0u;
  let pr = select(0u, (k - 1u) * n, prev);
  var acc = 0.0;
  if (prev) {
    for (var j = k + t; j < n; j = j + WG) { acc = acc + pv[j] * V[pr + j]; }
  }
  let dot = reduce(acc, t);
  var K = 0.0;
  var vk = 0.0;
  var wk = 0.0;
  if (prev) {
    K = -0.5 * tri[2u * n + k - 1u] * dot;
    vk = V[pr + k];
    wk = pv[k] + K * vk;
    let wr = (nb + i - 1u) * n;
    for (var j = k + t; j < n; j = j + WG) { U[wr + j] = pv[j] + K * V[pr + j]; }
  }
  if (P.wOnly != 0u) { return; }
  var s2 = 0.0;
  for (var j = k + 2u + t; j < n; j = j + WG) {
    let x = rowk(j, k, n, pr, vk, wk, K, prev);
    s2 = s2 + x * x;
  }
  let sigma = reduce(s2, t);
  if (t == 0u) { tri[k] = rowk(k, k, n, pr, vk, wk, K, prev); }
  if (k + 1u >= n) { return; }
  let alpha = rowk(k + 1u, k, n, pr, vk, wk, K, prev);
  let refl = larfg(alpha, sigma);
  let beta = refl.x;
  let tau = refl.y;
  let scale = refl.z;
  let vr = k * n;
  let u1 = i * n;
  let u2 = (2u * nb + i) * n;
  for (var j = k + 2u + t; j < n; j = j + WG) {
    let v = rowk(j, k, n, pr, vk, wk, K, prev) * scale;
    V[vr + j] = v;
    U[u1 + j] = v;
    U[u2 + j] = v;
  }
  if (t == 0u) {
    V[vr + k + 1u] = 1.0;
    U[u1 + k + 1u] = 1.0;
    U[u2 + k + 1u] = 1.0;
    tri[n + k] = beta;
    tri[2u * n + k] = tau;
  }
}
`;

export const PANEL_DOTS = /* wgsl */ `${PANEL_COMMON}
@compute @workgroup_size(${WG})
fn dots(@builtin(workgroup_id) g: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let k = P.k;
  let n = P.n;
  let i = k - P.c0;
  // Workgroups 0..i: y_m = w_m·v_k (U row nb + m); i..2i: z_m = v_m·v_k (U row m).
  let row = select((P.nb + g.x) * n, (g.x - i) * n, g.x >= i);
  let vr = k * n;
  var acc = 0.0;
  for (var j = k + 1u + t; j < n; j = j + WG) { acc = acc + U[row + j] * V[vr + j]; }
  let s = reduce(acc, t);
  if (t == 0u) { S[n + g.x] = s; }
}
`;

export const PANEL_MATVEC = /* wgsl */ `${PANEL_COMMON}
@compute @workgroup_size(${WG})
fn matvec(@builtin(workgroup_id) g: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let k = P.k;
  let n = P.n;
  let nb = P.nb;
  let i = k - P.c0;
  let rows = n - k - 1u;
  if (g.x < rows) {
    let r = k + 1u + g.x;
    let row = r * n;
    let vr = k * n;
    var acc = 0.0;
    for (var j = k + 1u + t; j < n; j = j + WG) { acc = acc + A[row + j] * V[vr + j]; }
    if (t < i) { acc = acc - U[t * n + r] * S[n + t] - U[(nb + t) * n + r] * S[n + i + t]; }
    let s = reduce(acc, t);
    if (t == 0u) { pv[r] = tri[2u * n + k] * s; }
  } else {
    let j = k + 1u + (g.x - rows) * WG + t;
    if (j < n) {
      let c = k + 1u;
      var x = A[c * n + j];
      for (var m = 0u; m < i; m = m + 1u) {
        x = x - U[m * n + c] * U[(nb + m) * n + j] - U[(nb + m) * n + c] * U[m * n + j];
      }
      S[j] = x;
    }
  }
}
`;
