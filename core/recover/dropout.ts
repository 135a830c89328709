// Dropout on each LoRA branch's input, as PEFT's lora_dropout: y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ, where
// drop(x) zeroes each entry with probability p and scales the rest by 1/(1−p); the frozen path sees x
// whole. Each adapter has its own mask (PEFT gives every target module its own Dropout).
// The masks are made here, not by ONNX's Dropout: each is a pure function of (seed, step, micro-batch,
// adapter), so a resumed run draws exactly the masks an uninterrupted one would, and the graph itself
// stays deterministic (p = 0 builds the graph with no mask inputs at all).
import { mulberry32 } from '../data/prng';
import type { LoraAdapter } from './lora';

/** p outside [0, 1) (one line for the user). */
export class DropoutError extends Error {
  override name = 'DropoutError';
}

export function checkDropout(p: number): void {
  if (!(Number.isFinite(p) && p >= 0 && p < 1)) throw new DropoutError(`dropout must be in [0, 1), got ${p}`);
}

export const dropoutInput = (a: LoraAdapter): string => `${a.key}.lora_dropout`;

/** The seed of one mask: distinct streams per (seed, step, micro-batch, adapter), mixed as data.ts mixes epochs. */
function maskSeed(seed: number, step: number, micro: number, adapter: number): number {
  let h = (seed ^ 0x85ebca6b) >>> 0;
  for (const v of [step, micro, adapter]) h = (Math.imul(h ^ v, 0x9e3779b1) + 0x7f4a7c15) >>> 0;
  return h;
}

/** Per adapter (same order): an [rows, in] mask of 0 and 1/(1−p). */
export function dropoutMasks(adapters: readonly LoraAdapter[], rows: number, p: number, seed: number, step: number, micro: number): Float32Array[] {
  checkDropout(p);
  const keep = 1 / (1 - p);
  return adapters.map((a, i) => {
    const rng = mulberry32(maskSeed(seed, step, micro, i));
    const m = new Float32Array(rows * a.inF);
    for (let j = 0; j < m.length; j++) m[j] = rng() < p ? 0 : keep;
    return m;
  });
}
