// WGSL compute shaders of the WebGPU eigensolver (wgsl-eigh.ts). Float32 throughout (WebGPU has no float64).
//
// Tridiagonalization: by default blocked (LAPACK dsytrd/dlatrd: panels of nb columns whose products use
// the panel's pending reflectors, one GEMM per panel for the trailing update — one read of the trailing
// matrix per column; wgsl-panel-shaders.ts, wgsl-panels.ts). The unblocked path below (`panel: 1`) is
// LAPACK dsytd2, lower, one reflector per column, with the n×n matrix resident and the rank-2 update of
// column k−1 fused into column k's product, so that every column is two dispatches and one read + one
// write of the trailing matrix, with no host round trip:
//   house(k)  one workgroup: w_{k−1} = p_{k−1} − ½τ_{k−1}(p_{k−1}·v_{k−1})v_{k−1}; row k with the pending
//             rank-2 update applied on the fly; d_k; the reflector (v_k, τ_k, e_k) from that row.
//   fused(k)  one workgroup per trailing row i > k: A_i ← A_i − v_{k−1,i}w_{k−1} − w_{k−1,i}v_{k−1}
//             (stored), and p_{k,i} = τ_k·(A_i·v_k) from the same registers.
// The matrix stays symmetric in full storage, so row k is column k and every read is contiguous.
// Reflector k is row k of V (zero up to column k, 1 at k+1). tri holds d (0..n), e (n..2n), τ (2n..3n).
//
// GEMM: C = α·op(A)·op(B) + β·C with any row/column strides (transposes for free), 64×64 tiles, 4×4 per
// thread; the tile loads follow whichever stride is contiguous.

export const WG = 256;

/** The workgroup's sum of x (every invocation passes its own; uniform control flow). */
/** The Householder reflector of (α, x) with σ = ‖x‖² (LAPACK dlarfg): (β, τ, 1/(α − β)); σ = 0 → (α, 0, 0). */
export const LARFG = /* wgsl */ `
fn larfg(alpha: f32, sigma: f32) -> vec3<f32> {
  if (sigma > 0.0) {
    let nrm = sqrt(alpha * alpha + sigma);
    let beta = select(nrm, -nrm, alpha >= 0.0);
    return vec3<f32>(beta, (beta - alpha) / beta, 1.0 / (alpha - beta));
  }
  return vec3<f32>(alpha, 0.0, 0.0);
}
`;

export const REDUCE = /* wgsl */ `
const WG: u32 = ${WG}u;
var<workgroup> red: array<f32, ${WG}>;

fn reduce(x: f32, t: u32) -> f32 {
  red[t] = x;
  workgroupBarrier();
  var s = WG / 2u;
  loop {
    if (s == 0u) { break; }
    if (t < s) { red[t] = red[t] + red[t + s]; }
    workgroupBarrier();
    s = s / 2u;
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
`;

const TRIDIAGONAL_COMMON = /* wgsl */ `
struct Params { k: u32, n: u32, p0: u32, p1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read_write> A: array<f32>;
@group(0) @binding(2) var<storage, read_write> V: array<f32>;
@group(0) @binding(3) var<storage, read_write> pv: array<f32>;
@group(0) @binding(4) var<storage, read_write> wv: array<f32>;
@group(0) @binding(5) var<storage, read_write> tri: array<f32>;
${REDUCE}
${LARFG}
`;

export const HOUSE = /* wgsl */ `${TRIDIAGONAL_COMMON}
// Row k's element j (j ≥ k) with the pending update of reflector k−1 applied.
fn rowk(j: u32, k: u32, n: u32, pr: u32, vk: f32, wk: f32, K: f32, prev: bool) -> f32 {
  var x = A[k * n + j];
  if (prev) {
    let vj = V[pr + j];
    x = x - vk * (pv[j] + K * vj) - wk * vj;
  }
  return x;
}

@compute @workgroup_size(${WG})
fn house(@builtin(local_invocation_index) t: u32) {
  let k = P.k;
  let n = P.n;
  let prev = k > 0u;
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
    for (var j = k + t; j < n; j = j + WG) { wv[j] = pv[j] + K * V[pr + j]; }
  }
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
  for (var j = k + 2u + t; j < n; j = j + WG) { V[vr + j] = rowk(j, k, n, pr, vk, wk, K, prev) * scale; }
  if (t == 0u) {
    V[vr + k + 1u] = 1.0;
    tri[n + k] = beta;
    tri[2u * n + k] = tau;
  }
}
`;

export const FUSED = /* wgsl */ `${TRIDIAGONAL_COMMON}
@compute @workgroup_size(${WG})
fn fused(@builtin(workgroup_id) g: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let k = P.k;
  let n = P.n;
  let i = k + 1u + g.x;
  let prev = k > 0u;
  let pr = select(0u, (k - 1u) * n, prev);
  let vr = k * n;
  var wi = 0.0;
  var vi = 0.0;
  if (prev) {
    wi = wv[i];
    vi = V[pr + i];
  }
  let row = i * n;
  var acc = 0.0;
  for (var j = k + 1u + t; j < n; j = j + WG) {
    var a = A[row + j];
    if (prev) {
      a = a - vi * wv[j] - wi * V[pr + j];
      A[row + j] = a;
    }
    acc = acc + a * V[vr + j];
  }
  let s = reduce(acc, t);
  if (t == 0u) { pv[i] = tri[2u * n + k] * s; }
}
`;

export const GEMM = /* wgsl */ `
struct G { M: u32, N: u32, K: u32, aOff: u32, aRs: u32, aCs: u32, bOff: u32, bRs: u32, bCs: u32, cOff: u32, cRs: u32, alpha: f32, beta: f32, p0: u32, p1: u32, p2: u32 }
@group(0) @binding(0) var<uniform> g: G;
@group(0) @binding(1) var<storage, read> Am: array<f32>;
@group(0) @binding(2) var<storage, read> Bm: array<f32>;
@group(0) @binding(3) var<storage, read_write> Cm: array<f32>;
var<workgroup> As: array<array<f32, 64>, 16>;
var<workgroup> Bs: array<array<f32, 64>, 16>;

@compute @workgroup_size(16, 16)
fn gemm(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let i0 = wg.y * 64u;
  let j0 = wg.x * 64u;
  let tx = lid.x;
  let ty = lid.y;
  let t = ty * 16u + tx;
  var acc: array<array<f32, 4>, 4>;
  for (var x = 0u; x < 4u; x = x + 1u) { for (var y = 0u; y < 4u; y = y + 1u) { acc[x][y] = 0.0; } }
  for (var k0 = 0u; k0 < g.K; k0 = k0 + 16u) {
    for (var r = 0u; r < 4u; r = r + 1u) {
      let e = t + r * 256u;
      var ii = e / 16u;
      var kk = e % 16u;
      if (g.aCs != 1u) { ii = e % 64u; kk = e / 64u; }
      let gi = i0 + ii;
      let gk = k0 + kk;
      var v = 0.0;
      if (gi < g.M && gk < g.K) { v = Am[g.aOff + gi * g.aRs + gk * g.aCs]; }
      As[kk][ii] = v;
    }
    for (var r = 0u; r < 4u; r = r + 1u) {
      let e = t + r * 256u;
      var jj = e % 64u;
      var kk = e / 64u;
      if (g.bCs != 1u) { kk = e % 16u; jj = e / 16u; }
      let gj = j0 + jj;
      let gk = k0 + kk;
      var v = 0.0;
      if (gj < g.N && gk < g.K) { v = Bm[g.bOff + gk * g.bRs + gj * g.bCs]; }
      Bs[kk][jj] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 16u; kk = kk + 1u) {
      var a: array<f32, 4>;
      var b: array<f32, 4>;
      for (var x = 0u; x < 4u; x = x + 1u) {
        a[x] = As[kk][ty + x * 16u];
        b[x] = Bs[kk][tx + x * 16u];
      }
      for (var x = 0u; x < 4u; x = x + 1u) {
        for (var y = 0u; y < 4u; y = y + 1u) { acc[x][y] = acc[x][y] + a[x] * b[y]; }
      }
    }
    workgroupBarrier();
  }
  for (var x = 0u; x < 4u; x = x + 1u) {
    let i = i0 + ty + x * 16u;
    for (var y = 0u; y < 4u; y = y + 1u) {
      let j = j0 + tx + y * 16u;
      if (i < g.M && j < g.N) {
        let c = g.cOff + i * g.cRs + j;
        var r = g.alpha * acc[x][y];
        if (g.beta != 0.0) { r = r + g.beta * Cm[c]; }
        Cm[c] = r;
      }
    }
  }
}
`;
