// Dropout on each LoRA branch's input, as PEFT's lora_dropout: y = x·Wᵀ + s·(drop(x)·Aᵀ)·Bᵀ, where
// drop(x) zeroes each entry with probability p and scales the rest by 1/(1−p); the frozen path sees x
// whole. Each adapter has its own mask (PEFT gives every target module its own Dropout).
// The masks are made here, not by ONNX's Dropout: each is a pure function of (seed, step, micro-batch,
// adapter), so a resumed run draws exactly the masks an uninterrupted one would, and the graph itself
// stays deterministic (p = 0 builds the graph with no mask inputs at all).
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
export function maskSeed(seed: number, step: number, micro: number, adapter: number): number {
  let h = (seed ^ 0x85ebca6b) >>> 0;
  for (const v of [step, micro, adapter]) h = (Math.imul(h ^ v, 0x9e3779b1) + 0x7f4a7c15) >>> 0;
  return h;
}

/** One adapter's mask, an [rows, in] mask of 0 and 1/(1−p); `index` is the adapter's place in the run's adapter list. */
export function dropoutMask(a: LoraAdapter, index: number, rows: number, p: number, seed: number, step: number, micro: number): Float32Array {
  checkDropout(p);
  const keep = 1 / (1 - p);
  // mulberry32 (data/prng.ts) inlined, and `u / 2³² < p` compared as `u < p·2³²` (both sides exact): the
  // same mask as `mulberry32(seed)() < p` per entry, ~2× faster — the streamed step draws each block's
  // masks twice per micro-batch (forward and backward), 31 M entries a block at 7B, 1 × 1024.
  const cut = p * 4294967296;
  let s = maskSeed(seed, step, micro, index) >>> 0;
  const m = new Float32Array(rows * a.inF);
  for (let j = 0; j < m.length; j++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    m[j] = (t ^ (t >>> 14)) >>> 0 < cut ? 0 : keep;
  }
  return m;
}

/** An adapter's mask for one micro-batch, drawn when a step asks for it: the layer-streamed step asks one
 * block at a time (and again in that block's backward), so only one block's masks are ever held. */
export type MaskSource = (a: LoraAdapter) => Float32Array;

/** The masks of (seed, step, micro-batch) for `adapters` (the run's whole list: it fixes each adapter's stream). */
export function maskSource(adapters: readonly LoraAdapter[], rows: number, p: number, seed: number, step: number, micro: number): MaskSource {
  checkDropout(p);
  const index = new Map(adapters.map((a, i) => [a, i]));
  return (a) => {
    const i = index.get(a);
    if (i === undefined) throw new Error(`adapter ${a.key} is not one of this run's`);
    return dropoutMask(a, i, rows, p, seed, step, micro);
  };
}

/** Per adapter (same order): every mask of a micro-batch at once (what the one-graph step feeds). */
export function dropoutMasks(adapters: readonly LoraAdapter[], rows: number, p: number, seed: number, step: number, micro: number): Float32Array[] {
  return adapters.map(maskSource(adapters, rows, p, seed, step, micro));
}
