// The calibration's Gram matrices Σ xᵀx by blocks of columns, upper triangle only (#11).
//
// A Gram matrix is symmetric, yet one Gemm computes both of its triangles. Split x's n columns into k blocks
// and the blocks (i, j) with i ≤ j are all there is to compute: k(k+1)/2 of k² block products — 3/4 of the
// work with 2 blocks, 10/16 with 4 — and the host mirrors the rest when the moment comes down. Each entry
// is still one float32 dot product over the batch's rows, compensated across batches as before
// (device.ts accumulateGraph); only the kernel's tile shapes change.
//
// Why: on the GPU EP the two Grams of a layer are float32 MatMuls (ORT WebGPU's float16 kernels accumulate
// in float16) — ~7e13 FLOP a LLaMA-2-70B layer at 128 × 2048 tokens, ~14 % of the passes' FLOP at the 7B
// and 70B shapes, at float32's slower rate. Off by default until a GPU measurement shows it faster (gramBlocks).
import { GraphBuilder } from '../onnx/graph';
import { actType, toFloat } from './graphs/primitives';

/**
 * How many column blocks a Gram of width n is computed in: SLICE_STUDIO_GRAM_BLOCKS when set (a benchmark's
 * switch), else `preferred` (DeviceTensors' option), else 1. Not on by default: in session 14's H100 lease the
 * LLaMA-2-70B-shape slice with 4 blocks did not finish its two layers inside the step's 300 s (one block: 142 s
 * in session 13), so the blocked graph is slower on ORT WebGPU as it stands (why is not yet measured: ORT's
 * profile of both, `SLICE_STUDIO_ORT_PROFILE`, is the next step).
 */
export function gramBlocks(n: number, preferred?: number): number {
  const env = process.env.SLICE_STUDIO_GRAM_BLOCKS;
  const asked = env ? Number(env) : preferred;
  if (asked === undefined) return 1;
  if (!Number.isInteger(asked) || asked < 1) throw new Error(`SLICE_STUDIO_GRAM_BLOCKS must be a whole number ≥ 1, not ${env}`);
  return Math.max(1, Math.min(asked, Math.floor(n / 4)));
}

/** The k + 1 column edges of k blocks of n columns: widths multiples of 4 (ORT's vec4 kernels) where n allows. */
export function blockEdges(n: number, k: number): number[] {
  const unit = n % 4 === 0 && n >= 4 * k ? 4 : 1;
  const units = n / unit;
  return Array.from({ length: k + 1 }, (_, i) => (i === k ? n : Math.round((units * i) / k) * unit));
}

/** The computed blocks (i, j), i ≤ j, row by row: the order of a blocked moment's parts. */
export function blockPairs(k: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < k; i++) for (let j = i; j < k; j++) out.push([i, j]);
  return out;
}

/**
 * Σ xᵀx of x ([B, S, n], float16 widened) by upper blocks, added with Kahan compensation to the running pairs
 * s{p}, c{p} (absent when `first`); `keep` ([rows, 1]) zeroes masked rows. Outputs s{p}, c{p} per block pair p.
 */
export function blockedAccumulateGraph(edges: number[], masked: boolean, first: boolean, half: boolean): GraphBuilder {
  const k = edges.length - 1;
  const g = new GraphBuilder(`accBlocks${k}${masked ? 'Masked' : ''}${first ? 'First' : ''}${half ? '-f16' : ''}`);
  g.input('x', actType(half), ['B', 'S', 'N']);
  const flat = g.node('Flatten', ['x'], { axis: 2 });
  const keep = masked ? g.input('keep', 'float32', ['R', 1]) : null;
  const cols = edges.slice(0, -1).map((e, i) => {
    // Sliced before widening: the float32 blocks together are the one float32 copy the unblocked graph makes.
    let xi = g.node('Slice', [flat, g.i64([e]), g.i64([edges[i + 1]]), g.i64([1])]);
    if (half) xi = toFloat(g, xi);
    return keep ? g.node('Mul', [xi, keep]) : xi;
  });
  blockPairs(k).forEach(([i, j], p) => {
    const gram = g.node('Gemm', [cols[i], cols[j]], { transA: 1 });
    if (first) {
      g.node('Identity', [gram], {}, { out: `s${p}` });
      g.node('Sub', [gram, gram], {}, { out: `c${p}` });
    } else {
      const s = g.input(`s_in${p}`, 'float32', [`M${p}`, `N${p}`]);
      const c = g.input(`c_in${p}`, 'float32', [`M${p}`, `N${p}`]);
      const y = g.node('Sub', [gram, c]);
      const t = g.node('Add', [s, y]);
      g.node('Sub', [g.node('Sub', [t, s]), y], {}, { out: `c${p}` });
      g.node('Identity', [t], {}, { out: `s${p}` });
    }
    g.output(`s${p}`, 'float32');
    g.output(`c${p}`, 'float32');
  });
  return g;
}

/**
 * One graph over a blocked moment's parts: `difference` gives y{p} = s{p} − c{p} (the moment rounded once),
 * `pair` gives s{p} and c{p} as they are; every output a host output, so one run downloads them all.
 */
export function blockedDownloadGraph(parts: number, mode: 'difference' | 'pair'): GraphBuilder {
  const g = new GraphBuilder(`downloadBlocks${parts}-${mode}`);
  for (let p = 0; p < parts; p++) {
    const s = g.input(`s${p}`, 'float32', [`M${p}`, `N${p}`]);
    const c = g.input(`c${p}`, 'float32', [`M${p}`, `N${p}`]);
    if (mode === 'difference') {
      g.node('Sub', [s, c], {}, { out: `y${p}` });
      g.output(`y${p}`, 'float32');
    } else {
      g.node('Identity', [s], {}, { out: `ys${p}` });
      g.node('Identity', [c], {}, { out: `yc${p}` });
      g.output(`ys${p}`, 'float32');
      g.output(`yc${p}`, 'float32');
    }
  }
  return g;
}

const TILE = 64;

/**
 * The full symmetric n×n matrix from its upper blocks (`parts[p]` is block pairs[p], row-major): each block in
 * place and, off the diagonal, its transpose mirrored below (in cache-sized tiles).
 */
export function assembleSymmetric(n: number, edges: number[], parts: Float32Array[]): Float32Array {
  const pairs = blockPairs(edges.length - 1);
  if (parts.length !== pairs.length) throw new Error(`assembleSymmetric: ${parts.length} parts for ${pairs.length} blocks`);
  const out = new Float32Array(n * n);
  pairs.forEach(([i, j], p) => {
    const r0 = edges[i];
    const r1 = edges[i + 1];
    const c0 = edges[j];
    const c1 = edges[j + 1];
    const w = c1 - c0;
    const blk = parts[p];
    if (blk.length !== (r1 - r0) * w) throw new Error(`assembleSymmetric: block (${i}, ${j}) has ${blk.length} values, not ${r1 - r0}×${w}`);
    for (let r = r0; r < r1; r++) out.set(blk.subarray((r - r0) * w, (r - r0 + 1) * w), r * n + c0);
    if (i === j) return;
    for (let rt = r0; rt < r1; rt += TILE) {
      const re = Math.min(rt + TILE, r1);
      for (let ct = c0; ct < c1; ct += TILE) {
        const ce = Math.min(ct + TILE, c1);
        for (let c = ct; c < ce; c++) {
          const o = c * n;
          const b = c - c0 - r0 * w;
          for (let r = rt; r < re; r++) out[o + r] = blk[b + r * w];
        }
      }
    }
  });
  return out;
}
