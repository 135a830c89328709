// Rotating the fused network by orthogonal matrices Q (n×n float64, column j = principal direction j).
// A signal x becomes x·Q; a linear that READS it becomes W·Q (its input columns rotate), a linear that
// WRITES it becomes Qᵀ·W and b·Q (its output rows rotate). With `keep` < n the same call also slices: only
// the leading `keep` principal directions survive (W·Q[:, :keep], (Qᵀ·W)[:keep, :]), which is what
// rotating and then slicing computes, without materialising the discarded part.
import type { EmbeddingWeights, HeadWeights, Linear } from '../model/weights';
import { mulLeftTransposedF64, mulRightF64, vecMulF64 } from './products';
import type { QMatrix } from './q-matrix';

/** An orthogonal rotation of a width-n signal, of which the leading `keep` directions are kept. */
export interface Rotation {
  /** Float64, or float32 where the device engine consumes it (q-matrix.ts); the host products widen it exactly. */
  q: QMatrix;
  n: number;
}

/** A linear that reads the rotated signal: W·Q[:, :keep]. */
export async function rotateReader(lin: Linear, r: Rotation, keep = r.n): Promise<Linear> {
  const weight = await mulRightF64(lin.weight, r.q, r.n, keep);
  return lin.bias ? { weight, bias: lin.bias } : { weight };
}

/** A linear that writes the rotated signal: (Qᵀ·W)[:keep, :], (b·Q)[:keep]. */
export async function rotateWriter(lin: Linear, r: Rotation, keep = r.n): Promise<Linear> {
  const weight = await mulLeftTransposedF64(r.q, r.n, keep, lin.weight);
  return lin.bias ? { weight, bias: await vecMulF64(lin.bias, r.q, r.n, keep) } : { weight };
}

/** Token (and position) tables write the residual stream: each row e becomes (e·Q)[:keep]. */
export async function rotateEmbedding(e: EmbeddingWeights, r: Rotation, keep = r.n): Promise<EmbeddingWeights> {
  const out: EmbeddingWeights = { tokens: await mulRightF64(e.tokens, r.q, r.n, keep) };
  if (e.positions) {
    out.positions = await mulRightF64(e.positions, r.q, r.n, keep);
    out.positionOffset = e.positionOffset;
  }
  return out;
}

/** The head reads the final residual: W_head·Q[:, :keep]. */
export async function rotateHead(h: HeadWeights, r: Rotation, keep = r.n): Promise<HeadWeights> {
  return { norm: h.norm, lm: await rotateReader(h.lm, r, keep) };
}
