// Deterministic inputs for the K-quant vectors: each one stresses a branch of ggml's reference search.
// (The expected hashes in kquants.test.ts were computed by ggml-quants.c's *_ref functions on these exact floats.)

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0), s / 2 ** 32);
}

/** ~N(0, 1) from 4 uniforms (enough shape for a weight matrix, exact in float32 on every platform). */
const normal = (r: () => number) => (r() + r() + r() + r() - 2) * 1.7320508;

export function kquantInputs(n = 256 * 8): Record<string, Float32Array> {
  const r = rng(20261206);
  const make = (g: (i: number) => number) => Float32Array.from({ length: n }, (_, i) => g(i));
  return {
    // weight-like: small centred values
    normal: make(() => normal(r) * 0.02),
    // a few large outliers per block (the scale search's hard case)
    outliers: make(() => (r() < 0.01 ? normal(r) * 2 : normal(r) * 0.05)),
    // all positive (the min clamps to 0)
    positive: make(() => Math.abs(normal(r)) + 0.5),
    // whole zero sub-blocks and scattered zeros (the zero-scale branches)
    zeros: make((i) => (i % 512 < 48 || i % 7 === 0 ? 0 : normal(r))),
    // values on a coarse grid: rounding ties everywhere
    ties: make(() => Math.round(normal(r) * 4) / 8),
  };
}
