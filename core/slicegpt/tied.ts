// A tied embedding stays ONE table after slicing (sliced-folder format 2, core/model/sliced-source.ts).
//
// A model whose head is its embedding (tie_word_embeddings: tiny-opt, tiny-stories, OPT, Qwen2-0.5B, Gemma)
// used to come out of SliceGPT with two vocab-sized matrices: the rotated embedding and the rotated head,
// each V×width — so small slices were larger than the model. Both are E (V×D, the source's table) times a
// D-row matrix, so the slice keeps E as it came and stores only those two small factors:
//
// - Embedding. Fusion centres each row for LayerNorm models (e·C with C = I − 11ᵀ/D, nothing for RMSNorm
//   models), then the table is rotated by Q₀ and sliced: E·C·Q₀[:, :d] = E·P_emb with P_emb = C·Q₀[:, :d]
//   (D×d). The position table (OPT) is not tied: it stays rotated and sliced as before.
// - Head. The head reads the final norm: fusion folds its scale γ and shift β into the head,
//   W = E·diag(γ), b = E·β (+ the head's own bias, which a tied head does not have), then the head is
//   rotated by the last Q: W·Q[:, :k]. So logits = n·Q[:, :k]ᵀ·diag(γ)·Eᵀ + β·Eᵀ = (n·P_headᵀ + β)·Eᵀ with
//   P_head = diag(γ)·Q[:, :k] (D×k): a Linear from the residual (width k) to D with bias β, then Eᵀ.
//
// The slice keeps E once when that is the smaller layout (core/model/tied-layout.ts: always for per-layer
// slicing with the head unsliced; uniform rotation below about half the width materialises the two tables).
// Both factors are computed by the very functions that transform the full tables (fuseEmbedding +
// rotateEmbedding, fuseHead + rotateHead), applied to the D×D identity in place of E: whatever those do,
// the factor is what they do to E, divided by E — so the algebra above cannot drift from the algorithm.
import type { ModelConfig } from '../model/config';
import type { EmbeddingWeights, HeadWeights, Matrix } from '../model/weights';
import { fuseEmbedding, fuseHead } from './fuse';
import { rotateEmbedding, rotateHead, type Rotation } from './rotate';
import { gemm } from '../linalg/matmul';

function identity(n: number): Matrix {
  const data = new Float32Array(n * n);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { rows: n, cols: n, data };
}

/** The sliced embedding as E (the source table, as read) and P_emb; positions rotated and sliced as usual. */
export async function tiedEmbedding(config: ModelConfig, source: EmbeddingWeights, r: Rotation, keep: number): Promise<EmbeddingWeights> {
  const { positions, positionOffset } = source;
  const factors = await rotateEmbedding(fuseEmbedding(config, { tokens: identity(config.hiddenSize), ...(positions ? { positions, positionOffset } : {}) }), r, keep);
  const out: EmbeddingWeights = { tokens: source.tokens, projection: factors.tokens };
  if (factors.positions) {
    out.positions = factors.positions;
    out.positionOffset = factors.positionOffset;
  }
  return out;
}

/** The sliced head as P_head (D × keep, bias β where the final norm had one) and E = the source's head matrix. */
export async function tiedHead(config: ModelConfig, source: HeadWeights, r: Rotation, keep: number): Promise<HeadWeights> {
  if (source.lm.bias) throw new Error('tiedHead: a head with a bias of its own is not stored tied');
  const factor = await rotateHead(fuseHead(config, { norm: source.norm, lm: { weight: identity(config.hiddenSize) } }), r, keep);
  return { norm: factor.norm, lm: factor.lm, vocab: source.lm.weight };
}

/**
 * E·P_emb as one V×d table, for runtimes with no place for the factors (GGUF: token_embd). float32
 * products: the consumer quantizes or stores float16, far coarser than the product's rounding.
 */
export async function untiedEmbedding(e: EmbeddingWeights): Promise<EmbeddingWeights> {
  if (!e.projection) return e;
  const { tokens: E, projection: P } = e;
  const tokens: Matrix = { rows: E.rows, cols: P.cols, data: await gemm(E.data, P.data, E.rows, E.cols, P.cols) };
  return { tokens, ...(e.positions ? { positions: e.positions, positionOffset: e.positionOffset } : {}) };
}

/** The head as one V×k matrix E·W and bias E·b (GGUF: output). */
export async function untiedHead(h: HeadWeights): Promise<HeadWeights> {
  if (!h.vocab) return h;
  const { vocab: E, lm } = h;
  const weight: Matrix = { rows: E.rows, cols: lm.weight.cols, data: await gemm(E.data, lm.weight.data, E.rows, E.cols, lm.weight.cols) };
  return { norm: h.norm, lm: lm.bias ? { weight, bias: await gemm(E.data, lm.bias, E.rows, E.cols, 1) } : { weight } };
}
