// Non-finite numbers (NaN, ±Inf) in a model's weights or in what it computes. A NaN anywhere in a block
// reaches every later position's logits, so the runtime checks the head's log-sum-exp (one value per
// position, free next to the vocabulary product) and SliceGPT checks each second moment before its
// eigendecomposition; the job then names the first tensor that holds such a value, read one at a time.
import { SafetensorsModel } from './safetensors';

export class NonFiniteError extends Error {
  override name = 'NonFiniteError';
}

const FLOAT = new Set(['F64', 'F32', 'F16', 'BF16']);

/** Index of the first NaN/±Inf in `values`, or −1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}

/** The first tensor of a model folder (file order) holding a NaN or ±Inf, with how many it holds; null if none. */
export async function findNonFiniteTensor(folder: string): Promise<{ name: string; count: number; size: number } | null> {
  const model = await SafetensorsModel.create(folder);
  for (const name of model.names) {
    if (!FLOAT.has(model.info(name).dtype)) continue;
    const v = await model.read(name);
    if (firstNonFinite(v) < 0) continue;
    let count = 0;
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i])) count++;
    return { name, count, size: v.length };
  }
  return null;
}

/**
 * The one line a job fails with when its model computed NaN/Inf: which tensor of the folder is to blame,
 * or (all weights finite) that the computation itself overflowed.
 */
export async function explainNonFinite(e: NonFiniteError, folder: string | undefined): Promise<NonFiniteError> {
  if (!folder) return e;
  try {
    const bad = await findNonFiniteTensor(folder);
    if (bad) return new NonFiniteError(`${folder} has non-finite weights: tensor ${bad.name} holds ${bad.count} NaN/Inf value${bad.count === 1 ? '' : 's'} of ${bad.size} (${e.message})`);
    return new NonFiniteError(`${e.message}; every weight of ${folder} is finite, so the computation overflowed`);
  } catch {
    return e;
  }
}
