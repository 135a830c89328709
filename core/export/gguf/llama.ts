// Mapping a (dense or uniformly sliced) llama-family model onto llama.cpp's `llama` graph.
//
// q/k rows. Hugging Face rotates a head's dimension pairs (i, i + hd/2) ("rotate half"); llama.cpp's llama
// architecture uses rope type NORM, which rotates adjacent pairs (2i, 2i+1). convert_hf_to_gguf.py's
// `permute` reorders each head's rows to match: within a head, row half·hd/2 + i moves to 2i + half.
// (k uses the KV head count.) Slicing rotates input columns only, so the rows are permuted the same way.
//
// RMSNorm compensation. A sliced model's norms are weightless and divide by the ORIGINAL width D although the
// residual has only D′ components: n(x) = x / sqrt(Σx²/D + ε). llama.cpp's RMSNorm divides by the width it
// sees: n′(x) = w ⊙ x / sqrt(Σx²/D′ + ε′). With ε′ = ε·D/D′,
//   sqrt(Σx²/D′ + ε·D/D′) = sqrt(D/D′)·sqrt(Σx²/D + ε),
// so n′(x) = n(x) exactly when w = sqrt(D/D′) (times the norm's own weight, if it has one). D′ = D (dense) gives
// w = γ, ε′ = ε. ε′ is one global key, so every norm of the model must agree on D/D′ (uniform slicing does).
import type { Matrix, NormSpec } from '../../model/weights';
import { GgufUnsupportedError } from './errors';

/**
 * Moves each head's rows between Hugging Face's rotate-half order (the first half of a head's rows, then
 * the second) and llama.cpp's interleaved pairs; `interleave` picks the direction.
 */
function reorderRopeRows(m: Matrix, heads: number, interleave: boolean): Matrix {
  const { rows, cols, data } = m;
  if (rows % heads !== 0 || (rows / heads) % 2 !== 0) throw new GgufUnsupportedError(`cannot split ${rows} rows into ${heads} heads of even size`);
  const hd = rows / heads;
  const half = hd / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < heads; h++)
    for (let s = 0; s < 2; s++)
      for (let i = 0; i < half; i++) {
        const halves = (h * hd + s * half + i) * cols;
        const pairs = (h * hd + 2 * i + s) * cols;
        const [from, to] = interleave ? [halves, pairs] : [pairs, halves];
        out.set(data.subarray(from, from + cols), to);
      }
  return { rows, cols, data: out };
}

/** convert_hf_to_gguf's permute: rotate-half row order → llama.cpp's interleaved pairs. */
export function permuteRopeRows(m: Matrix, heads: number): Matrix {
  return reorderRopeRows(m, heads, true);
}

/** The inverse (llama.cpp order → Hugging Face order): for tests and for reading exports back. */
export function unpermuteRopeRows(m: Matrix, heads: number): Matrix {
  return reorderRopeRows(m, heads, false);
}

/** ε′ for a norm over `width` inputs that divides by `divisor`: ε·divisor/width. */
export function compensatedEps(eps: number, divisor: number, width: number): number {
  return (eps * divisor) / width;
}

/** The weight llama.cpp's RMSNorm needs so that it computes `norm` on a width-`width` input. */
export function compensatedNormWeight(norm: NormSpec, width: number): Float32Array {
  if (norm.kind !== 'rmsnorm') throw new GgufUnsupportedError("llama.cpp's llama graph needs RMSNorm models (LayerNorm families cannot be exported to GGUF)");
  const scale = Math.sqrt(norm.divisor / width);
  const w = new Float32Array(width);
  if (norm.weight) {
    if (norm.weight.length !== width) throw new GgufUnsupportedError(`norm weight has ${norm.weight.length} entries for a width of ${width}`);
    for (let i = 0; i < width; i++) w[i] = norm.weight[i] * scale;
  } else w.fill(scale);
  return w;
}
