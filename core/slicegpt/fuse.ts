// Step 1 of SliceGPT: make the network computationally invariant to rotations of the residual stream.
//
// Every norm becomes a weightless RMSNorm that divides by the ORIGINAL hidden size D (so it still divides by
// D after slicing) with the model's eps:
// - its scale (and LayerNorm shift) moves into the linears that read it: W·diag(γ), b + W·β (creating b);
// - LayerNorm models (opt, phi) also need the residual stream to be zero-mean, so that LayerNorm's mean
//   subtraction is a no-op: the token and position embeddings are centred, and every linear that writes the
//   residual (attention output, MLP output) has the mean over its output dimension subtracted from W and b.
//   Then LayerNorm(x) = x / sqrt(Σx²/D + eps)·γ + β exactly.
// - RMSNorm models (llama family) fold the norm weights only: centring them would change the function
//   (the reference implementation centres their embeddings anyway; we do not, so fusion stays exact).
// The head is untied by construction (ModelSource hands out a copy) and reads the final norm.
// All arithmetic is float64, rounded once to float32.
import type { ModelConfig } from '../model/config';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from '../model/weights';
import { headNormsOf } from '../model/weights';
import type { ModelSource } from '../model/model-source';

/** The norm every fused block uses: weightless RMSNorm over the original width D. */
export function fusedNorm(config: ModelConfig): NormSpec {
  return { kind: 'rmsnorm', eps: config.normEps, divisor: config.hiddenSize };
}

const needsCentring = (config: ModelConfig): boolean => config.norm === 'layernorm';

/** Readers' arrays made as fround(source · γ[j]) per entry by foldNormIntoReader, with that source and γ. */
const folded = new WeakMap<Float32Array, { source: Float32Array; gamma: Float32Array }>();

/**
 * The source and scale `fused` was made from, entry by entry fround(source · γ[j]), if foldNormIntoReader made it
 * (the arrays are fresh and nobody writes into them after).
 */
export function foldedFrom(fused: Float32Array): { source: Float32Array; gamma: Float32Array } | undefined {
  return folded.get(fused);
}

/**
 * The RMSNorm reader's fold: w = fround(src · γ[j]) entry by entry. Self-contained (no imports, no closure): the
 * prefetch's workers run its source text (prefetch-pool.ts), so both threads run the very same loop.
 */
export function foldRows(src: Float32Array, gamma: Float32Array, w: Float32Array, rows: number, cols: number): void {
  for (let base = 0; base < rows * cols; base += cols) for (let j = 0; j < cols; j++) w[base + j] = src[base + j] * gamma[j];
}

/** Folds made elsewhere (prefetch-pool.ts: foldRows on a worker), by source, with their γ; handed over once. */
const readyFolds = new WeakMap<Float32Array, { gamma: Float32Array; fused: Float32Array }>();

/** `fused` is foldRows(`source`, `gamma`), made already: foldNormIntoReader takes it instead of folding again. */
export function rememberFold(source: Float32Array, gamma: Float32Array, fused: Float32Array): void {
  readyFolds.set(source, { gamma, fused });
}

function takeFold(source: Float32Array, gamma: Float32Array): Float32Array | undefined {
  const r = readyFolds.get(source);
  if (!r || r.gamma !== gamma || r.fused.length !== source.length) return undefined;
  readyFolds.delete(source);
  return r.fused;
}

/** Fold a norm's scale/shift into one linear that reads it. */
export function foldNormIntoReader(norm: NormSpec, lin: Linear): Linear {
  const { rows, cols } = lin.weight;
  const gamma = norm.kind === 'layernorm' ? norm.weight : norm.weight;
  const beta = norm.kind === 'layernorm' ? norm.bias : undefined;
  if (gamma && gamma.length !== cols) throw new Error(`norm width ${gamma.length} ≠ reader input width ${cols}`);
  if (gamma && !beta && !lin.bias) {
    // RMSNorm readers (the llama family): the scale alone, in one tight loop (the general loop's per-entry tests and
    // property reads cost ~1 s a 7B layer); the same float32 products, made already where a prefetch worker ran
    // this loop (rememberFold). Remembered, so the device engine's exact float16 form need not check them again
    // (foldedFrom).
    const src = lin.weight.data;
    let w = takeFold(src, gamma);
    if (!w) {
      w = new Float32Array(rows * cols);
      foldRows(src, gamma, w, rows, cols);
    }
    folded.set(w, { source: src, gamma });
    return { weight: { rows, cols, data: w } };
  }
  const w = new Float32Array(rows * cols);
  const b = beta || lin.bias ? new Float32Array(rows) : undefined;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let shift = lin.bias ? lin.bias[r] : 0; // float64 accumulation of b + W·β
    for (let j = 0; j < cols; j++) {
      const wj = lin.weight.data[base + j];
      w[base + j] = gamma ? wj * gamma[j] : wj;
      if (beta) shift += wj * beta[j];
    }
    if (b) b[r] = shift;
  }
  return b ? { weight: { rows, cols, data: w }, bias: b } : { weight: { rows, cols, data: w } };
}

/** Subtract the mean over the output dimension from W (per input column) and from b: the output is zero-mean. */
export function bakeMeanIntoWriter(lin: Linear): Linear {
  const { rows, cols, data } = lin.weight;
  const mean = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) mean[j] += data[r * cols + j];
  for (let j = 0; j < cols; j++) mean[j] /= rows;
  const w = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) w[r * cols + j] = data[r * cols + j] - mean[j];
  const out: Linear = { weight: { rows, cols, data: w } };
  if (lin.bias) {
    let m = 0;
    for (const v of lin.bias) m += v;
    m /= rows;
    out.bias = Float32Array.from(lin.bias, (v) => v - m);
  }
  return out;
}

/** Subtract each row's mean (over the width) from a table. */
export function centreRows(m: Matrix): Matrix {
  const out = new Float32Array(m.data.length);
  for (let r = 0; r < m.rows; r++) {
    let s = 0;
    const base = r * m.cols;
    for (let j = 0; j < m.cols; j++) s += m.data[base + j];
    s /= m.cols;
    for (let j = 0; j < m.cols; j++) out[base + j] = m.data[base + j] - s;
  }
  return { rows: m.rows, cols: m.cols, data: out };
}

export function fuseEmbedding(config: ModelConfig, e: EmbeddingWeights): EmbeddingWeights {
  if (!needsCentring(config)) return e;
  const out: EmbeddingWeights = { tokens: centreRows(e.tokens) };
  if (e.positions) {
    out.positions = centreRows(e.positions);
    out.positionOffset = e.positionOffset;
  }
  return out;
}

const copyLinear = (l: Linear): Linear => (l.bias ? { weight: l.weight, bias: l.bias } : { weight: l.weight });

export function fuseLayer(config: ModelConfig, w: LayerWeights): LayerWeights {
  const norm = fusedNorm(config);
  const writer = (l: Linear): Linear => (needsCentring(config) ? bakeMeanIntoWriter(l) : copyLinear(l));
  if (w.kind === 'parallel') {
    const { block } = w;
    if (block.shortcut) throw new Error('fuseLayer: the layer already has a shortcut (is the model already sliced?)');
    const read = (l: Linear) => foldNormIntoReader(block.norm, l);
    return {
      kind: 'parallel',
      block: {
        norm,
        attn: { q: read(block.attn.q), k: read(block.attn.k), v: read(block.attn.v), o: writer(block.attn.o) },
        mlp: {
          ...(block.mlp.gate ? { gate: read(block.mlp.gate) } : {}),
          up: read(block.mlp.up),
          down: writer(block.mlp.down),
        },
      },
    };
  }
  const { attn, mlp } = w;
  if (attn.shortcut || mlp.shortcut) throw new Error('fuseLayer: the layer already has a shortcut (is the model already sliced?)');
  const ra = (l: Linear) => foldNormIntoReader(attn.norm, l);
  const rm = (l: Linear) => foldNormIntoReader(mlp.norm, l);
  return {
    kind: 'sequential',
    attn: { norm, q: ra(attn.q), k: ra(attn.k), v: ra(attn.v), o: writer(attn.o), ...headNormsOf(attn) },
    mlp: { norm, ...(mlp.gate ? { gate: rm(mlp.gate) } : {}), up: rm(mlp.up), down: writer(mlp.down) },
  };
}

export function fuseHead(config: ModelConfig, h: HeadWeights): HeadWeights {
  return { norm: fusedNorm(config), lm: foldNormIntoReader(h.norm, h.lm) };
}

/** The whole model fused, piece by piece as it is asked for (for checks and for running a fused model). */
export function fusedSource(src: ModelSource): ModelSource {
  return {
    config: src.config,
    arch: src.arch,
    folder: src.folder,
    embedding: async () => fuseEmbedding(src.config, await src.embedding()),
    layer: async (i) => fuseLayer(src.config, await src.layer(i)),
    head: async () => fuseHead(src.config, await src.head()),
  };
}
