// The device engine's prepare step, one linear at a time, out of engine.ts so that bench/prefetch-host.ts times the
// very host function the slice runs (without a GPU): each fused linear's exact float16 form (runtime/half-weights.ts),
// found from the un-fused source where a norm's scale was folded in (the device redoes that one multiply).
import type { LayerWeights, Linear } from '../model/weights';
import { halfExact, halfExactFolded, type HalfExact } from '../runtime/half-weights';
import { foldedFrom } from './fuse';

/** A layer's linears in a fixed order, each with the norm scale a reader folds in. */
export function linearsOf(w: LayerWeights): { lin: Linear; gamma?: Float32Array; reader: boolean }[] {
  const m = w.kind === 'sequential' ? w.mlp : w.block.mlp;
  const a = w.kind === 'sequential' ? w.attn : w.block.attn;
  const an = w.kind === 'sequential' ? w.attn.norm : w.block.norm;
  const mn = w.kind === 'sequential' ? w.mlp.norm : w.block.norm;
  const r = (lin: Linear, n: typeof an) => ({ lin, gamma: n.weight, reader: true });
  return [r(a.q, an), r(a.k, an), r(a.v, an), { lin: a.o, reader: false }, ...(m.gate ? [r(m.gate, mn)] : []), r(m.up, mn), { lin: m.down, reader: false }];
}

/** One linear to prepare: `fused` (the passes' array) and how to find its float16 form. */
export interface HalfJob {
  fused: Float32Array;
  form: () => HalfExact | null;
}

/** The prepare step's jobs for a layer (none when the two layers do not match up linear for linear). */
export function halfJobs(source: LayerWeights, fused: LayerWeights): HalfJob[] {
  const src = linearsOf(source);
  const out = linearsOf(fused);
  if (src.length !== out.length) return [];
  return out.map((o, i) => {
    const s = src[i].lin.weight.data;
    const f = o.lin.weight.data;
    const gamma = src[i].gamma;
    // fuse.ts made `f` from this very source and γ by the product halfExactFolded would check entry by entry: with a
    // finite γ the check can only fail where a source value is Inf or NaN, which halfExact refuses too.
    const known = (k = foldedFrom(f)) => k !== undefined && k.source === s && k.gamma === gamma && gamma !== undefined && gamma.length === o.lin.weight.cols && gamma.every(Number.isFinite);
    return { fused: f, form: () => (s === f ? halfExact(f) : src[i].reader ? halfExactFolded(s, gamma, f, o.lin.weight.cols, known()) : halfExact(f)) };
  });
}
