// The decoder's matrix–vector product y = W·x (+ bias) (+ add), W `rows × cols` row-major (a Linear's out × in,
// a shortcut transposed), accumulated in float32. Each workgroup takes `rows` rows, `lanes` threads a row
// (GemvShape): the lanes read consecutive 16-byte words of the row (coalesced), then reduce in workgroup memory.
// float16 weights come packed two per u32 (unpack2x16float is core WGSL: no shader-f16 feature needed), a
// vec4<u32> word being 8 weights; float32 weights are read as vec4<f32>. Rows are padded to whole words with
// zeros; x's tail past `cols` is masked, so any width works (odd ones included).

/** Threads a row (a power of two) and rows a workgroup; lanes × rows ≤ 256. */
export interface GemvShape {
  lanes: number;
  rows: number;
}

/**
 * One 32-wide warp a row, 4 rows a workgroup: a 4096-row matrix is 1024 workgroups of 128 threads, enough to
 * fill an H100's 132 SMs. A guess until timed on a GPU (bench/wgsl-decode.ts sweeps the shapes).
 */
export const DEFAULT_GEMV: GemvShape = { lanes: 32, rows: 4 };

export function checkGemvShape(g: GemvShape): void {
  const pow2 = (n: number) => Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
  if (!pow2(g.lanes) || !Number.isInteger(g.rows) || g.rows < 1 || g.lanes * g.rows > 256) throw new Error(`GEMV shape ${g.lanes} lanes × ${g.rows} rows: lanes must be a power of two and lanes × rows ≤ 256`);
}

/** Weights per 16-byte word, per element type. */
export const PER_WORD = { float16: 8, float32: 4 } as const;
export type WeightType = keyof typeof PER_WORD;

/** Uniform: rows, words per row, cols, flags (1: add bias[row], 2: add add[row]). */
export const GEMV_FLAG_BIAS = 1;
export const GEMV_FLAG_ADD = 2;

const header = (g: GemvShape) => `
struct P { rows: u32, words: u32, cols: u32, flags: u32 }
@group(0) @binding(0) var<uniform> p: P;
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> add: array<f32>;
@group(0) @binding(5) var<storage, read_write> y: array<f32>;
var<workgroup> part: array<f32, ${g.lanes * g.rows}>;

// x[4v … 4v+3], zero past cols (the weights there are zero padding, and x's tail may hold an older, wider value).
fn xs(v: u32) -> vec4<f32> {
  let a = x[v];
  let first = v * 4u;
  if (first + 4u <= p.cols) { return a; }
  return select(vec4<f32>(0.0), a, vec4<u32>(first, first + 1u, first + 2u, first + 3u) < vec4<u32>(p.cols));
}
`;

const body = {
  float16: `
@group(0) @binding(1) var<storage, read> w: array<vec4<u32>>;
fn word(i: u32, base: u32) -> f32 {
  let q = w[base + i];
  return dot(vec4<f32>(unpack2x16float(q.x), unpack2x16float(q.y)), xs(2u * i)) + dot(vec4<f32>(unpack2x16float(q.z), unpack2x16float(q.w)), xs(2u * i + 1u));
}`,
  float32: `
@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;
fn word(i: u32, base: u32) -> f32 {
  return dot(w[base + i], xs(i));
}`,
};

const main = (g: GemvShape) => `
@compute @workgroup_size(${g.lanes}, ${g.rows})
fn main(@builtin(local_invocation_id) l: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) n: vec3<u32>) {
  let row = (wg.y * n.x + wg.x) * ${g.rows}u + l.y;
  var acc = 0.0;
  if (row < p.rows) {
    // Two words a lane per iteration, two accumulators: two independent 16-byte loads in flight.
    let base = row * p.words;
    var acc1 = 0.0;
    var i = l.x;
    for (; i + ${g.lanes}u < p.words; i += ${2 * g.lanes}u) {
      acc += word(i, base);
      acc1 += word(i + ${g.lanes}u, base);
    }
    if (i < p.words) { acc += word(i, base); }
    acc += acc1;
  }
  let k = l.y * ${g.lanes}u + l.x;
  part[k] = acc;
  workgroupBarrier();
  for (var s = ${Math.floor(g.lanes / 2)}u; s > 0u; s >>= 1u) {
    if (l.x < s) { part[k] += part[k + s]; }
    workgroupBarrier();
  }
  if (l.x == 0u && row < p.rows) {
    var v = part[k];
    if ((p.flags & ${GEMV_FLAG_BIAS}u) != 0u) { v += bias[row]; }
    if ((p.flags & ${GEMV_FLAG_ADD}u) != 0u) { v += add[row]; }
    y[row] = v;
  }
}
`;

export function gemvShader(t: WeightType, g: GemvShape): string {
  checkGemvShape(g);
  return header(g) + body[t] + main(g);
}
