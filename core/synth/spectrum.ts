// How large each residual-stream channel is in a synthetic model. Trained LLMs are far from isotropic:
// the hidden states' covariance has a steeply decaying spectrum and a few "massive activation" channels
// (Sun et al. 2024; Dettmers et al. 2022's outlier features), which is exactly what SliceGPT's PCA
// exploits. i.i.d. weights would make every eigenvalue of the activation covariance about equal, so the
// slicing benchmark would run on a spectrum no user has. We give channel c a scale s_c:
//   s_c ∝ (1 + rank_c)^(−½)      (variance ∝ 1/(1 + rank): a power law across channels)
//   × OUTLIER_GAIN on a few channels (one per 1024 of width, 1 to 8 of them),
// with ranks assigned by a seeded permutation (no structure in the channel order), normalised to a mean
// square of 1. Everything that WRITES the residual stream carries s_c on its output channel — the token
// (and position) embedding's columns, the attention output and MLP down projections' rows and their
// biases — so the embedding and every block add the same anisotropic profile. Readers (q, k, v, gate,
// up, lm_head) stay i.i.d. at the config's initializer_range; norm weights are 1 + N(0, 0.02²).

export const OUTLIER_GAIN = 8;
export const POWER = 0.5;

export function outlierCount(width: number): number {
  return Math.min(8, Math.max(1, Math.round(width / 1024)));
}

/** The per-channel scale of the residual stream (length = hidden size), deterministic in the seed. */
export function channelScales(width: number, seed: number): Float32Array {
  const rank = Array.from({ length: width }, (_, i) => i);
  let s = (seed ^ 0x5bd1e995) >>> 0 || 1;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
  for (let i = width - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [rank[i], rank[j]] = [rank[j], rank[i]];
  }
  const out = new Float32Array(width);
  const outliers = outlierCount(width);
  for (let c = 0; c < width; c++) out[c] = (1 + rank[c]) ** -POWER * (rank[c] < outliers ? OUTLIER_GAIN : 1);
  const ms = out.reduce((a, v) => a + v * v, 0) / width;
  const k = 1 / Math.sqrt(ms);
  for (let c = 0; c < width; c++) out[c] *= k;
  return out;
}
