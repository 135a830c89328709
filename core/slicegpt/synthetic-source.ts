// A model with random weights and a real architecture's shapes, generated deterministically layer by layer:
// fusion/invariance checks on every family without a checkpoint, and the LLaMA-2-7B-shaped slicing benchmark
// without 13 GB of weights. Norm scales and shifts are random too, so folding them is actually exercised.
import { parseConfig, type ModelConfig } from '../model/config';
import { archSpec } from '../model/arch-spec';
import type { ArchSpec, ModelSource } from '../model/model-source';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from '../model/weights';
import { gaussianTable, mix } from '../linalg/gaussian';

const TABLE = gaussianTable();
const BLOCK = 1 << 16; // even: a pair never straddles two blocks

/**
 * n samples mean + std·z, z standard normal, rounded to `dtype` (nearest even) and kept as float32. Counter-based,
 * as core/linalg/gaussian.ts: pair i of a tensor is one hash of (i, the tensor's seed), two 16-bit halves indexing
 * its table of 65,536 normal quantiles — no log, no cos, a tight loop (a 7B float16 layer in ~1.3 CPU seconds rather
 * than ~7.5–10 of Box–Muller on xorshift, on the 2-core dev box; page faults of the fresh array are much of it). The seed enters between two hashes, so tensors with neighbouring seeds share no runs.
 */
function normal(n: number, std: number, seed: number, mean = 0, dtype: 'float32' | 'float16' | 'bfloat16' = 'float32'): Float32Array {
  const out = new Float32Array(n);
  const key = mix((seed | 0) ^ 0x5bd1e995);
  // in blocks, each rounded while it is still in cache
  for (let first = 0; first < n; first += BLOCK) {
    const end = Math.min(n, first + BLOCK);
    for (let j = first, i = first >>> 1; j < end; j += 2, i++) {
      let z = (mix(i) ^ key) | 0;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      z ^= z >>> 16;
      out[j] = mean + std * TABLE[z & 0xffff];
      if (j + 1 < n) out[j + 1] = mean + std * TABLE[(z >>> 16) & 0xffff];
    }
    rounded(out.subarray(first, end), dtype);
  }
  return out;
}

/** x rounded in place to float16 or bfloat16 values (nearest even, from its float32 bits), kept as float32. */
export function rounded(x: Float32Array, dtype: 'float32' | 'float16' | 'bfloat16'): Float32Array {
  if (dtype === 'float32') return x;
  // int32 lanes: a Uint32Array's values ≥ 2³¹ would be doubles to V8 (the loop ~1.5× slower)
  const u = new Int32Array(x.buffer, x.byteOffset, x.length);
  if (dtype === 'bfloat16') {
    // as toBfloat16Bits (model/safetensors-writer.ts), widened: no NaN occurs here
    for (let i = 0; i < u.length; i++) u[i] = (u[i] + 0x7fff + ((u[i] >>> 16) & 1)) & -0x10000;
    return x;
  }
  for (let i = 0; i < u.length; i++) {
    const b = u[i];
    const a = b & 0x7fffffff;
    // float16 normals (|x| ≥ 2⁻¹⁴): 10 mantissa bits of float32's 23 (weights never reach 65504)
    if (a >= 0x38800000) u[i] = (b & -0x80000000) | ((a + 0x0fff + ((a >>> 13) & 1)) & -0x2000);
    else if (a <= 0x33000000)
      u[i] = b & -0x80000000; // ≤ 2⁻²⁵: ±0 (2⁻²⁵ itself ties to the even 0)
    else {
      // a float16 subnormal: a multiple of 2⁻²⁴
      const v = Math.abs(x[i]) * 16777216;
      let r = Math.floor(v + 0.5);
      if (r - v === 0.5 && r % 2 === 1) r -= 1;
      x[i] = (b < 0 ? -r : r) / 16777216;
    }
  }
  return x;
}

export class SyntheticSource implements ModelSource {
  readonly config: ModelConfig;
  readonly arch: ArchSpec;
  readonly folder: string;
  readonly #seed: number;

  /** Weight matrices rounded to this dtype (nearest even), as a float16 / bfloat16 checkpoint stores them. */
  readonly #dtype: 'float32' | 'float16' | 'bfloat16';

  constructor(rawConfig: Record<string, unknown>, seed = 1, o: { dtype?: 'float32' | 'float16' | 'bfloat16' } = {}) {
    this.#dtype = o.dtype ?? 'float32';
    this.config = parseConfig(rawConfig);
    this.arch = archSpec(this.config);
    this.folder = `synthetic:${this.config.modelType}`;
    this.#seed = seed;
  }

  #s(i: number, k: number): number {
    return this.#seed * 1_000_003 + i * 101 + k;
  }

  #matrix(rows: number, cols: number, seed: number): Matrix {
    return { rows, cols, data: normal(rows * cols, 1 / Math.sqrt(cols), seed, 0, this.#dtype) };
  }

  #linear(rows: number, cols: number, bias: boolean, seed: number): Linear {
    const weight = this.#matrix(rows, cols, seed);
    return bias ? { weight, bias: normal(rows, 0.02, seed + 50) } : { weight };
  }

  #norm(seed: number): NormSpec {
    const c = this.config;
    const D = c.hiddenSize;
    if (c.norm === 'layernorm') return { kind: 'layernorm', eps: c.normEps, weight: normal(D, 0.1, seed, 1), bias: normal(D, 0.05, seed + 7) };
    return { kind: 'rmsnorm', eps: c.normEps, divisor: D, weight: normal(D, 0.1, seed, 1) };
  }

  async embedding(): Promise<EmbeddingWeights> {
    const c = this.config;
    const e: EmbeddingWeights = { tokens: { rows: c.vocabSize, cols: c.hiddenSize, data: normal(c.vocabSize * c.hiddenSize, 1, this.#s(-1, 0), 0.05) } };
    if (c.rope === null) {
      const rows = c.maxPositions + c.positionOffset;
      e.positions = { rows, cols: c.hiddenSize, data: normal(rows * c.hiddenSize, 0.3, this.#s(-1, 1), 0.02) };
      e.positionOffset = c.positionOffset;
    }
    return e;
  }

  async layer(i: number): Promise<LayerWeights> {
    const c = this.config;
    const D = c.hiddenSize;
    const F = c.intermediateSize;
    const qo = c.numHeads * c.headDim;
    const kvo = c.numKvHeads * c.headDim;
    const s = (k: number) => this.#s(i, k);
    const attn = {
      q: this.#linear(qo, D, c.attentionBias, s(1)),
      k: this.#linear(kvo, D, c.attentionBias, s(2)),
      v: this.#linear(kvo, D, c.attentionBias, s(3)),
      o: this.#linear(D, qo, c.attentionOutBias, s(4)),
    };
    const mlp = {
      ...(c.gatedMlp ? { gate: this.#linear(F, D, c.mlpBias, s(5)) } : {}),
      up: this.#linear(F, D, c.mlpBias, s(6)),
      down: this.#linear(D, F, c.mlpBias, s(7)),
    };
    if (c.parallelBlocks) return { kind: 'parallel', block: { norm: this.#norm(s(8)), attn, mlp } };
    return { kind: 'sequential', attn: { norm: this.#norm(s(8)), ...attn }, mlp: { norm: this.#norm(s(9)), ...mlp } };
  }

  async head(): Promise<HeadWeights> {
    const c = this.config;
    return { norm: this.#norm(this.#s(-2, 0)), lm: this.#linear(c.vocabSize, c.hiddenSize, c.lmHeadBias, this.#s(-2, 1)) };
  }
}
