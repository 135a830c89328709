// WGSL kernels that build a divide-and-conquer merge's M on the device from its spec (merge-spec.ts), and
// read the two rows a parent merge needs from it:
//   norms   one workgroup per root p: 1/‖v‖ with v_i = ẑ_i·(|τ_p|/δ_i), δ_i = (d_i − d_o) − τ_p;
//   fill    one invocation per element of M: v_i/‖v‖ in a root's column, 1 or 0 in a deflated one;
//   rotate  one invocation per column: the deflation rotations in order, down that column;
//   rows    one invocation per column: x1·M[0:n1] and x2·M[n1:] (compensated sums).
// d_i − d_o is an exact subtraction of 96-bit integers (three u32 words, the poles' fixed point), rounded
// to float32 once (the three words' float conversions, scaled by powers of two, added largest first).
// Data (binding 1, u32): role[m], pair[m], words[3k], ẑ[k] (f32 bits), origin[k], τ[k] (f32 bits),
// rotation rows[2R], rotation cs/sn[2R] (f32 bits); for `rows`, x1 then x2 (f32 bits).
import { REDUCE, WG } from './wgsl-shaders';

const COMMON = /* wgsl */ `
struct Params { m: u32, k: u32, R: u32, n1: u32, s2: f32, s1: f32, s0: f32, pad: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> D: array<u32>;
@group(0) @binding(2) var<storage, read_write> inv: array<f32>;
@group(0) @binding(3) var<storage, read_write> M: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowsOut: array<f32>;

fn wordOf(i: u32, w: u32) -> u32 { return D[2u * P.m + 3u * i + w]; }
fn zhat(i: u32) -> f32 { return bitcast<f32>(D[2u * P.m + 3u * P.k + i]); }
fn origin(p: u32) -> u32 { return D[2u * P.m + 4u * P.k + p]; }
fn tau(p: u32) -> f32 { return bitcast<f32>(D[2u * P.m + 5u * P.k + p]); }

// d_i − d_o: the 96-bit difference exactly, then its magnitude's words to float32, largest first.
fn poleDiff(i: u32, o: u32) -> f32 {
  let a0 = wordOf(i, 0u);
  let b0 = wordOf(o, 0u);
  let a1 = wordOf(i, 1u);
  let b1 = wordOf(o, 1u);
  let br0 = select(0u, 1u, a0 < b0);
  let br1 = select(0u, 1u, a1 < b1 || (a1 == b1 && br0 == 1u));
  var lo = a0 - b0;
  var mid = a1 - b1 - br0;
  var hi = wordOf(i, 2u) - wordOf(o, 2u) - br1;
  let neg = bitcast<i32>(hi) < 0;
  if (neg) {
    lo = ~lo + 1u;
    let c0 = select(0u, 1u, lo == 0u);
    mid = ~mid + c0;
    let c1 = select(0u, 1u, mid == 0u && c0 == 1u);
    hi = ~hi + c1;
  }
  let v = (f32(hi) * P.s2 + f32(mid) * P.s1) + f32(lo) * P.s0;
  return select(v, -v, neg);
}

// v_i of root p: ẑ_i·(|τ|/δ_i), |τ|/δ_i ∈ [−1, 1].
fn entry(i: u32, p: u32) -> f32 {
  let t = tau(p);
  return zhat(i) * (abs(t) / (poleDiff(i, origin(p)) - t));
}
`;

export const MERGE_NORMS = /* wgsl */ `${COMMON}
${REDUCE}
@compute @workgroup_size(${WG})
fn norms(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let p = wid.y * nwg.x + wid.x;
  var s = 0.0;
  var c = 0.0;
  if (p < P.k) {
    for (var i = t; i < P.k; i = i + WG) {
      let v = entry(i, p);
      let y = v * v - c;
      let u = s + y;
      c = (u - s) - y;
      s = u;
    }
  }
  let total = reduce(s, t);
  if (p < P.k && t == 0u) { inv[p] = 1.0 / sqrt(total); }
}
`;

export const MERGE_FILL = /* wgsl */ `${COMMON}
@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  let r = gid.y;
  if (c >= P.m) { return; }
  let p = D[P.m + c];
  let q = D[r];
  var x = 0.0;
  if (p < P.k) {
    if (q < P.k) { x = entry(q, p) * inv[p]; }
  } else if (q == p) {
    x = 1.0;
  }
  M[r * P.m + c] = x;
}
`;

export const MERGE_ROTATE = /* wgsl */ `${COMMON}
@compute @workgroup_size(256)
fn rotate(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= P.m) { return; }
  let rows = 2u * P.m + 6u * P.k;
  let cs = rows + 2u * P.R;
  for (var t = 0u; t < P.R; t = t + 1u) {
    let a = D[rows + 2u * t] * P.m + c;
    let b = D[rows + 2u * t + 1u] * P.m + c;
    let co = bitcast<f32>(D[cs + 2u * t]);
    let sn = bitcast<f32>(D[cs + 2u * t + 1u]);
    let x = M[a];
    let y = M[b];
    M[a] = co * x - sn * y;
    M[b] = sn * x + co * y;
  }
}
`;

export const MERGE_ROWS = /* wgsl */ `${COMMON}
fn rowDot(x0: u32, r0: u32, rows: u32, c: u32) -> f32 {
  var s = 0.0;
  var e = 0.0;
  for (var r = 0u; r < rows; r = r + 1u) {
    let y = bitcast<f32>(D[x0 + r]) * M[(r0 + r) * P.m + c] - e;
    let u = s + y;
    e = (u - s) - y;
    s = u;
  }
  return s;
}

@compute @workgroup_size(256)
fn rows(@builtin(global_invocation_id) gid: vec3<u32>) {
  let c = gid.x;
  if (c >= P.m) { return; }
  rowsOut[c] = rowDot(0u, 0u, P.n1, c);
  rowsOut[P.m + c] = rowDot(P.n1, P.n1, P.m - P.n1, c);
}
`;
