// One layer read ahead: while layer i is worked on, layer i + 1's tensors are already being read (the uniform
// passes; the per-layer engine has its own, GPU-aware prefetch in rotate-and-slice). At most one layer waits in
// memory beyond the one in use. A read that fails surfaces when its layer is taken, not before.
import type { ModelSource } from '../model/model-source';
import type { LayerWeights } from '../model/weights';

export function readAhead(src: ModelSource, layers: number): (i: number) => Promise<LayerWeights> {
  let pending: { i: number; p: Promise<LayerWeights> } | null = null;
  const start = (i: number) => {
    const p = src.layer(i);
    p.catch(() => {});
    return { i, p };
  };
  return (i) => {
    const hit = pending?.i === i ? pending.p : start(i).p;
    pending = i + 1 < layers ? start(i + 1) : null;
    return hit;
  };
}
