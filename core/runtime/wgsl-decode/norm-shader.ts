// The decoder's norms over one vector, in one workgroup, in float32 as the ORT graphs compute them
// (runtime/graphs/primitives.ts): RMSNorm x · 1/√(Σx²/divisor + eps) (· weight), the divisor being the
// width the norm was trained at (after slicing, not the input width); LayerNorm (x − mean)/√(var + eps)·w + b.

export const NORM_THREADS = 256;
/** Uniform: n, kind (0 RMSNorm, 1 LayerNorm), hasWeight, pad, divisor, eps. */
export const NORM_RMS = 0;
export const NORM_LAYER = 1;

export const NORM = `
struct P { n: u32, kind: u32, hasWeight: u32, pad: u32, divisor: f32, eps: f32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
var<workgroup> red: array<f32, ${NORM_THREADS}>;

fn total(l: u32, v: f32) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = ${NORM_THREADS / 2}u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] += red[l + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(${NORM_THREADS})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let l = lid.x;
  if (p.kind == ${NORM_RMS}u) {
    var ss = 0.0;
    for (var i = l; i < p.n; i += ${NORM_THREADS}u) { ss += x[i] * x[i]; }
    let inv = 1.0 / sqrt(total(l, ss) / p.divisor + p.eps);
    for (var i = l; i < p.n; i += ${NORM_THREADS}u) {
      var v = x[i] * inv;
      if (p.hasWeight != 0u) { v *= weight[i]; }
      y[i] = v;
    }
  } else {
    var s = 0.0;
    for (var i = l; i < p.n; i += ${NORM_THREADS}u) { s += x[i]; }
    let mean = total(l, s) / f32(p.n);
    var q = 0.0;
    for (var i = l; i < p.n; i += ${NORM_THREADS}u) { let c = x[i] - mean; q += c * c; }
    let inv = 1.0 / sqrt(total(l, q) / f32(p.n) + p.eps);
    for (var i = l; i < p.n; i += ${NORM_THREADS}u) { y[i] = (x[i] - mean) * inv * weight[i] + bias[i]; }
  }
}
`;
