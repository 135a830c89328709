// One layer read ahead: while layer i is worked on, layer i + 1's tensors are already being read (the uniform
// passes; the per-layer engine has its own, GPU-aware prefetch in rotate-and-slice). At most one layer waits in
// memory beyond the one in use. A read that fails surfaces when its layer is taken, not before. Each 16-bit linear
// is widened, folded and given its float16 form on the prefetch's worker threads (prefetch-pool.ts), as the
// per-layer slice's prefetch does: on the main thread that work would add to the GPU passes.
import type { ModelSource } from '../model/model-source';
import type { LayerWeights } from '../model/weights';
import { prefetchHook } from './prefetch-pool';

export function readAhead(src: ModelSource, layers: number): (i: number) => Promise<LayerWeights> {
  let pending: { i: number; p: Promise<LayerWeights> } | null = null;
  const widen = prefetchHook();
  const start = (i: number) => {
    const p = src.layer(i, widen ? { widen } : {});
    p.catch(() => {});
    return { i, p };
  };
  return (i) => {
    const hit = pending?.i === i ? pending.p : start(i).p;
    pending = i + 1 < layers ? start(i + 1) : null;
    return hit;
  };
}
