// The decoder's attention for one query over the KV cache on the device (caches [kvHeads, context, headDim],
// float32), in three kernels, as runtime/graphs/attention.ts computes it:
// ROPE rotates q and k (rotate-half on the first rotaryDim dims, cos/sin of the step's position from a table
// [context, rotaryDim] = cos ‖ sin) and writes k and v into the caches at the position; SCORES takes
// q·k/√d for every cached position; ATTEND softmaxes them (float32) and sums the values, query head h
// reading KV head ⌊h/G⌋ (GQA). Head dims up to ATTEND_THREADS.

export const ATTEND_THREADS = 256;
export const SCORE_THREADS = 64;

/** Uniforms shared by the three: heads, kvHeads, headDim, rotaryDim, context, group size G, scale, pad. */
const PARAMS = `
struct P { heads: u32, kvHeads: u32, d: u32, rot: u32, ctx: u32, group: u32, scale: f32, pad: u32 }
struct Step { token: u32, pos: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<uniform> step: Step;
`;

/** One thread per element of q, k and v ([heads + 2·kvHeads] · d): rotated q out, k and v into the caches. */
export const ROPE =
  PARAMS +
  `
@group(0) @binding(2) var<storage, read> qkv: array<f32>;
@group(0) @binding(3) var<storage, read> table: array<f32>;
@group(0) @binding(4) var<storage, read_write> q: array<f32>;
@group(0) @binding(5) var<storage, read_write> kc: array<f32>;
@group(0) @binding(6) var<storage, read_write> vc: array<f32>;

fn rotated(base: u32, j: u32) -> f32 {
  let half = p.rot / 2u;
  if (j >= p.rot) { return qkv[base + j]; }
  let row = step.pos * p.rot;
  if (j < half) {
    return qkv[base + j] * table[row + j] - qkv[base + j + half] * table[row + half + j];
  }
  let i = j - half;
  return qkv[base + j] * table[row + i] + qkv[base + i] * table[row + half + i];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let e = gid.x;
  let qn = p.heads * p.d;
  let kn = p.kvHeads * p.d;
  if (e >= qn + 2u * kn) { return; }
  if (e < qn) { q[e] = rotated(e - e % p.d, e % p.d); return; }
  let f = (e - qn) % kn;
  let at = ((f / p.d) * p.ctx + step.pos) * p.d + f % p.d;
  if (e < qn + kn) { kc[at] = rotated(e - f % p.d, f % p.d); } else { vc[at] = qkv[e]; }
}
`;

/** Workgroups (⌈T/SCORE_THREADS⌉, heads): scores[h, t] = q_h·k_t · scale for t ≤ pos. */
export const SCORES =
  PARAMS +
  `
@group(0) @binding(2) var<storage, read> q: array<f32>;
@group(0) @binding(3) var<storage, read> kc: array<f32>;
@group(0) @binding(4) var<storage, read_write> scores: array<f32>;

@compute @workgroup_size(${SCORE_THREADS})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) g: vec3<u32>) {
  let t = gid.x;
  let h = g.y;
  if (t > step.pos) { return; }
  let k0 = ((h / p.group) * p.ctx + t) * p.d;
  let q0 = h * p.d;
  var s = 0.0;
  for (var j = 0u; j < p.d; j++) { s += q[q0 + j] * kc[k0 + j]; }
  scores[h * p.ctx + t] = s * p.scale;
}
`;

/** One workgroup per head: softmax over t ≤ pos, then out[h] = Σ p_t v_t (threads split d × position groups). */
export const ATTEND =
  PARAMS +
  `
@group(0) @binding(2) var<storage, read> scores: array<f32>;
@group(0) @binding(3) var<storage, read> vc: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;
var<workgroup> red: array<f32, ${ATTEND_THREADS}>;

fn reduce(l: u32, v: f32, isMax: bool) -> f32 {
  red[l] = v;
  workgroupBarrier();
  for (var s = ${ATTEND_THREADS / 2}u; s > 0u; s >>= 1u) {
    if (l < s) { red[l] = select(red[l] + red[l + s], max(red[l], red[l + s]), isMax); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}

@compute @workgroup_size(${ATTEND_THREADS})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) g: vec3<u32>) {
  let l = lid.x;
  let h = g.x;
  let T = step.pos + 1u;
  let s0 = h * p.ctx;
  var m = -3.0e38;
  for (var t = l; t < T; t += ${ATTEND_THREADS}u) { m = max(m, scores[s0 + t]); }
  m = reduce(l, m, true);
  var sum = 0.0;
  for (var t = l; t < T; t += ${ATTEND_THREADS}u) { sum += exp(scores[s0 + t] - m); }
  sum = reduce(l, sum, false);
  let groups = ${ATTEND_THREADS}u / p.d;
  let gi = l / p.d;
  let j = l % p.d;
  let v0 = (h / p.group) * p.ctx * p.d + j;
  var acc = 0.0;
  if (gi < groups) {
    for (var t = gi; t < T; t += groups) { acc += exp(scores[s0 + t] - m) * vc[v0 + t * p.d]; }
  }
  red[l] = acc;
  workgroupBarrier();
  if (l < p.d) {
    var o = 0.0;
    for (var k = 0u; k < groups; k++) { o += red[k * p.d + l]; }
    out[h * p.d + l] = o / sum;
  }
}
`;
