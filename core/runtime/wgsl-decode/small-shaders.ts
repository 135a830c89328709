// The decoder's small kernels: a table row into a vector (the embedding, learned positions), the MLP's
// activation (gated: act(gate)·up on [gate ‖ up]), and the greedy choice (argmax of the logits, lowest
// index on ties, as sampling.ts's argmax), each as runtime/graphs computes it in float32.

const STEP = `struct Step { token: u32, pos: u32, pad0: u32, pad1: u32 }
@group(0) @binding(1) var<uniform> step: Step;`;

/**
 * y[i] (+)= table[row·n + i], row = the step's token (which 0) or position + offset (which 1); accumulate when
 * acc. The table is float32, or float16 packed two per u32 (flat: element e in the low half of u32 e/2 when e is even).
 */
export function rowShader(t: 'float32' | 'float16'): string {
  const table = t === 'float32' ? 'array<f32>' : 'array<u32>';
  const read = t === 'float32' ? 'table[e]' : 'unpack2x16float(table[e >> 1u])[e & 1u]';
  return `
struct P { n: u32, which: u32, offset: u32, acc: u32 }
@group(0) @binding(0) var<uniform> p: P;
${STEP}
@group(0) @binding(2) var<storage, read> table: ${table};
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n) { return; }
  let row = select(step.token, step.pos + p.offset, p.which == 1u);
  let e = row * p.n + i;
  var v = ${read};
  if (p.acc != 0u) { v += y[i]; }
  y[i] = v;
}
`;
}

/** Activation codes of the ACT kernel. */
export const ACTIVATIONS = { silu: 0, relu: 1, gelu: 2, gelu_new: 3 } as const;

/** y[i] = act(h[i]) (· h[n + i] when gated). */
export const ACT = `
struct P { n: u32, act: u32, gated: u32, pad: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// erf through Numerical Recipes' Chebyshev fit of erfc (fractional error < 1.2e-7): WGSL has no erf.
fn erf(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.5 * a);
  let y = t * exp(-a * a - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return sign(x) * (1.0 - y);
}

fn act(x: f32) -> f32 {
  switch p.act {
    case 0u: { return x / (1.0 + exp(-x)); }
    case 1u: { return max(x, 0.0); }
    case 2u: { return 0.5 * x * (1.0 + erf(x * 0.70710678118654752)); }
    default: {
      let inner = clamp(0.7978845608028654 * (x + 0.044715 * x * x * x), -15.0, 15.0);
      return 0.5 * x * (1.0 + tanh(inner));
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= p.n) { return; }
  var v = act(h[i]);
  if (p.gated != 0u) { v *= h[p.n + i]; }
  y[i] = v;
}
`;

export const ARGMAX_THREADS = 256;

/** out[0] = the lowest i with logits[i] the largest (one workgroup). */
export const ARGMAX = `
struct P { n: u32, pad0: u32, pad1: u32, pad2: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<u32>;
var<workgroup> best: array<f32, ${ARGMAX_THREADS}>;
var<workgroup> at: array<u32, ${ARGMAX_THREADS}>;

@compute @workgroup_size(${ARGMAX_THREADS})
fn main(@builtin(local_invocation_id) lid: vec3<u32>) {
  let l = lid.x;
  var b = -3.4e38;
  var bi = 0xffffffffu;
  for (var i = l; i < p.n; i += ${ARGMAX_THREADS}u) {
    let v = logits[i];
    if (v > b || bi == 0xffffffffu) { b = v; bi = i; }
  }
  best[l] = b;
  at[l] = bi;
  workgroupBarrier();
  for (var s = ${ARGMAX_THREADS / 2}u; s > 0u; s >>= 1u) {
    if (l < s) {
      let ob = best[l + s];
      let oi = at[l + s];
      if (oi != 0xffffffffu && (at[l] == 0xffffffffu || ob > best[l] || (ob == best[l] && oi < at[l]))) { best[l] = ob; at[l] = oi; }
    }
    workgroupBarrier();
  }
  if (l == 0u) { out[0] = at[0]; }
}
`;
