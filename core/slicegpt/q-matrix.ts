// A rotation Q (n×n row-major, column j = principal direction j) in the precision it was found in: float64
// from the CPU solver, float32 from the WGSL solver for the device engine (pca.ts), which converts it to
// float32 anyway — so the solver's download is not widened into a fresh n² float64 array (2 s at n = 8192 on a
// 2-core host) only to be narrowed again. Float64 consumers (the host products, the checkpoint) widen a float32
// Q where they need it; widening is exact, so they compute what they did when the solver widened it.
// The union is linalg's (FloatArray: the solvers' EighResultMixed vectors, as they come).
import type { FloatArray } from '../linalg/matmul';

export type QMatrix = FloatArray;

/** Q as float64: itself when it is float64, else an exact widened copy. */
export function float64Q(q: QMatrix): Float64Array {
  return q instanceof Float64Array ? q : Float64Array.from(q);
}
