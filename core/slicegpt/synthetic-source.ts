// A model with random weights and a real architecture's shapes, generated deterministically layer by layer:
// fusion/invariance checks on every family without a checkpoint, and the LLaMA-2-7B-shaped slicing benchmark
// without 13 GB of weights. Norm scales and shifts are random too, so folding them is actually exercised.
import { parseConfig, type ModelConfig } from '../model/config';
import { archSpec } from '../model/arch-spec';
import type { ArchSpec, ModelSource } from '../model/model-source';
import type { EmbeddingWeights, HeadWeights, LayerWeights, Linear, Matrix, NormSpec } from '../model/weights';
import { toBfloat16Bits, toHalfBits } from '../model/safetensors-writer';
import { widenHalf } from '../runtime/half-weights';

/** xorshift128+ → uniform in [0, 1); seeded per tensor so pieces are independent of the order they are read. */
function rng(seed: number): () => number {
  let s0 = (seed * 0x9e3779b1) >>> 0 || 1;
  let s1 = (seed ^ 0x85ebca6b) >>> 0 || 2;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x >>> 0;
    return ((s0 + s1) >>> 0) / 4294967296;
  };
}

function normal(n: number, std: number, seed: number, mean = 0): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = r() || 1e-12;
    const v = r();
    const m = Math.sqrt(-2 * Math.log(u));
    out[i] = mean + std * m * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = mean + std * m * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** x rounded in place to float16 or bfloat16 values (nearest even), kept as float32. */
function rounded(x: Float32Array, dtype: 'float32' | 'float16' | 'bfloat16'): Float32Array {
  if (dtype === 'float32') return x;
  if (dtype === 'float16') {
    // A loop, not Uint16Array.from(x, f): that builds a JS array of every value first (a 7B matrix: heap OOM).
    const bits = new Uint16Array(x.length);
    for (let i = 0; i < x.length; i++) bits[i] = toHalfBits(x[i]);
    // Not remembered: these are source weights, never written as they are (and a 7B layer's bits would add 0.4 GB).
    return widenHalf(bits, { remember: false });
  }
  const u = new Uint32Array(x.buffer, x.byteOffset, x.length);
  for (let i = 0; i < u.length; i++) u[i] = toBfloat16Bits(x[i]) << 16;
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
    return { rows, cols, data: rounded(normal(rows * cols, 1 / Math.sqrt(cols), seed), this.#dtype) };
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
