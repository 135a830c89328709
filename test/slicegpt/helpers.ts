// Shared by the SliceGPT tests: the shared models, small random configs of each family, and logits.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createBlockRunner } from '../../core/runtime/runner';
import { forward } from '../../core/runtime/forward';
import type { BlockRunner } from '../../core/runtime/contract';
import type { ModelSource } from '../../core/model/model-source';
import type { EmbeddingWeights, HeadWeights, LayerWeights } from '../../core/model/weights';
import { loadTokenizer } from '../../core/model/tokenizer';
import { wikitext2 } from '../../core/data/wikitext2';
import { SHARED_MODELS as SHARED_MODELS_DIR } from '../shared';
import type { SliceOptions } from '../../core/slicegpt/slice-options';

export const SHARED_MODELS = SHARED_MODELS_DIR;
export const MODELS = ['tiny-llama', 'tiny-opt', 'tiny-phi', 'tiny-stories'] as const;
export const modelPath = (name: string) => resolve(SHARED_MODELS, name);

/** The tests' slice settings: 25 %, WikiText-2's first 4 windows of 128 tokens, seed 0, d rounded to 8, head kept, CPU, fresh. */
export const sliceOptions = (model: string, out: string, extra: Partial<SliceOptions> = {}): SliceOptions => ({
  model,
  ratio: 0.25,
  cal: 'wikitext2',
  nsamples: 4,
  seqlen: 128,
  sampling: 'first',
  seed: 0,
  round: 8,
  sliceHead: false,
  out,
  ep: 'cpu',
  resume: false,
  ...extra,
});

/** Small random-weight configs, one per block family (HF config.json layout). */
export const RANDOM_CONFIGS: Record<string, Record<string, unknown>> = {
  llama: { model_type: 'llama', hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, vocab_size: 128, rms_norm_eps: 1e-5, max_position_embeddings: 64, tie_word_embeddings: false },
  opt: { model_type: 'opt', hidden_size: 64, ffn_dim: 128, num_hidden_layers: 2, num_attention_heads: 4, vocab_size: 128, max_position_embeddings: 64, activation_function: 'relu', do_layer_norm_before: true, tie_word_embeddings: true },
  phi: {
    model_type: 'phi',
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    vocab_size: 128,
    layer_norm_eps: 1e-5,
    max_position_embeddings: 64,
    partial_rotary_factor: 0.5,
    hidden_act: 'gelu_new',
    tie_word_embeddings: false,
  },
};

/** Deterministic pseudo-random token windows. */
export function tokenWindows(vocab: number, n: number, seq: number, seed = 7): Int32Array[] {
  let s = seed >>> 0 || 1;
  const next = () => ((s = (s * 1664525 + 1013904223) >>> 0), s);
  return Array.from({ length: n }, () => Int32Array.from({ length: seq }, () => next() % vocab));
}

/** Deterministic pseudo-random float32 values in [−scale, scale). */
export function random32(len: number, seed: number, scale = 1): Float32Array {
  let s = seed;
  return Float32Array.from({ length: len }, () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 30 - 1) * scale);
}

export async function withRunner<T>(src: ModelSource, f: (r: BlockRunner) => Promise<T>): Promise<T> {
  const r = await createBlockRunner(src.arch, { ep: 'cpu' });
  try {
    return await f(r);
  } finally {
    await r.dispose();
  }
}

export async function logitsOf(src: ModelSource, runner: BlockRunner, windows: Int32Array[]): Promise<Float32Array> {
  return (await forward(src, runner, windows, { logits: true })).logits!;
}

/** ‖a − b‖ / ‖b‖ in float64. */
export function relativeError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    num += d * d;
    den += b[i] * b[i];
  }
  return Math.sqrt(num / den);
}

/** A random orthogonal n×n matrix (float64, row-major): Gram–Schmidt, twice, of a Gaussian matrix. */
export function randomOrthogonal(n: number, seed: number): Float64Array {
  let s = seed >>> 0 || 1;
  const u = () => ((s = (s * 1103515245 + 12345) >>> 0), (s + 1) / 4294967297);
  const q = new Float64Array(n * n);
  for (let i = 0; i < n * n; i += 2) {
    const m = Math.sqrt(-2 * Math.log(u()));
    const a = 2 * Math.PI * u();
    q[i] = m * Math.cos(a);
    if (i + 1 < n * n) q[i + 1] = m * Math.sin(a);
  }
  // Orthonormalise the columns.
  for (let c = 0; c < n; c++) {
    for (let pass = 0; pass < 2; pass++)
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += q[r * n + c] * q[r * n + p];
        for (let r = 0; r < n; r++) q[r * n + c] -= dot * q[r * n + p];
      }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += q[r * n + c] ** 2;
    norm = Math.sqrt(norm);
    for (let r = 0; r < n; r++) q[r * n + c] /= norm;
  }
  return q;
}

/** A ModelSource over pieces held in memory (what a SlicedSink collected). */
export class MemorySink {
  embeddingW?: EmbeddingWeights;
  layers: LayerWeights[] = [];
  headW?: HeadWeights;
  async embedding(e: EmbeddingWeights) {
    this.embeddingW = e;
  }
  async layer(i: number, w: LayerWeights) {
    this.layers[i] = w;
  }
  async head(h: HeadWeights) {
    this.headW = h;
  }
  source(like: ModelSource): ModelSource {
    return {
      config: like.config,
      arch: like.arch,
      folder: 'memory',
      embedding: async () => this.embeddingW!,
      layer: async (i) => this.layers[i],
      head: async () => this.headW!,
    };
  }
}

/** The first `count` protocol windows (seqlen 256) of WikiText-2 test, as one id array (count × seqlen). */
export async function testIds(folder: string, count: number, seqlen = 256): Promise<Int32Array> {
  const rows = (await wikitext2('test')).rows;
  const tok = await loadTokenizer(folder);
  // A prefix of the rows is plenty for the first windows (encodeCorpus of a prefix = prefix of the ids,
  // except possibly at the cut, which lies far beyond the windows used).
  const ids = tok.encodeCorpus(rows.slice(0, 400), '\n\n');
  if (ids.length < count * seqlen + 64) throw new Error('test prefix too short');
  return Int32Array.from(ids.slice(0, count * seqlen));
}

/** A folder's files (dot-files left out) by name: what a resumed job must reproduce byte for byte. */
export function folderFiles(dir: string): Map<string, Buffer> {
  return new Map(
    readdirSync(dir)
      .filter((f) => !f.startsWith('.'))
      .sort()
      .map((f) => [f, readFileSync(join(dir, f))]),
  );
}
