// Where inference keeps a model's weights, and in which element type — chosen once per run and reported
// with its result (generation, perplexity, zero-shot, the speed bench), so a number says how it was made.
//   host:     the CPU EP; host arrays already are the device, weights are fed as they are.
//   resident: a GPU EP and the model (+ KV cache) fits the VRAM budget: every weight uploaded once and kept,
//             activations and the KV cache stay on the device between runs and decoding steps.
//   streamed: a GPU EP and it does not fit: each run uploads its layer's weights (the fed mode), as before.
// float16 halves the weights and the cache; it is what GPUs run fast, and costs accuracy the callers state.
import { totalmem } from 'node:os';
import type { ExecutionProvider } from './contract';
import type { RunnerOptions } from './runner';
import type { ModelConfig } from '../model/config';
import { countParameters } from '../model/param-count';
import { DEFAULT_ACTIVATION_BYTES } from './forward';

export type InferDtype = 'f32' | 'f16';
export type WeightPlacement = 'host' | 'resident' | 'streamed';

export interface InferencePlan {
  placement: WeightPlacement;
  dtype: InferDtype;
  /** Bytes the device must hold for the resident choice: weights in `dtype` plus the largest KV cache. */
  neededBytes: number;
  /** The VRAM budget compared against (null: CPU EP, or no GPU found and none given). */
  budgetBytes: number | null;
  /** One line for the result and the UI. */
  reason: string;
}

export interface PlanInputs {
  ep: ExecutionProvider;
  /** Parameters of the model as loaded (dense or sliced). */
  parameters: number;
  shape: { numLayers: number; numKvHeads: number; headDim: number };
  /** Rows × positions the KV cache holds at most (0 for passes without a cache). */
  cachePositions: number;
  /** 'auto': float16 on a GPU EP, float32 on the CPU. */
  dtype?: InferDtype | 'auto';
  /** VRAM budget in GB; default the first GPU's total less a 10 % reserve. */
  vramGb?: number;
  /** Activations a pass holds on the device at once, in `dtype` (layer-major walks: device-walk.ts); default 0. */
  activationBytes?: (dtype: InferDtype) => number;
}

// ORT's own buffers (activations, attention scores, the buffer cache) need room beside the weights.
const WORKSPACE = 1.25;

export async function planInference(p: PlanInputs): Promise<InferencePlan> {
  const dtype: InferDtype = p.dtype === 'f16' || p.dtype === 'f32' ? p.dtype : p.ep === 'cpu' ? 'f32' : 'f16';
  const bytes = dtype === 'f16' ? 2 : 4;
  const { numLayers: L, numKvHeads: Hkv, headDim: d } = p.shape;
  const neededBytes = Math.round((p.parameters + 2 * L * Hkv * d * p.cachePositions) * bytes * WORKSPACE + (p.activationBytes?.(dtype) ?? 0));
  if (p.ep === 'cpu') return { placement: 'host', dtype, neededBytes, budgetBytes: null, reason: `CPU: weights in host memory (${dtype})` };
  const budgetBytes = p.vramGb !== undefined ? p.vramGb * 1e9 : await firstGpuBytes();
  const gb = (n: number) => `${(n / 1e9).toFixed(1)} GB`;
  if (budgetBytes === null) return { placement: 'resident', dtype, neededBytes, budgetBytes, reason: `resident on the ${p.ep} device (${dtype}; no VRAM size known, ${gb(neededBytes)} needed)` };
  if (neededBytes <= budgetBytes) return { placement: 'resident', dtype, neededBytes, budgetBytes, reason: `resident on the ${p.ep} device (${dtype}): ${gb(neededBytes)} needed of ${gb(budgetBytes)}` };
  return { placement: 'streamed', dtype, neededBytes, budgetBytes, reason: `layers streamed to the ${p.ep} device (${dtype}): ${gb(neededBytes)} needed, over the ${gb(budgetBytes)} budget` };
}

/** The runner options that carry out a plan. */
export function runnerOptionsFor(ep: ExecutionProvider, plan: InferencePlan): RunnerOptions {
  if (plan.placement !== 'resident') return { ep };
  return { ep, resident: true, decoding: true, passDtype: plan.dtype };
}

async function firstGpuBytes(): Promise<number | null> {
  const { detectGpus } = await import('../hardware/detect');
  const gpu = (await detectGpus(totalmem()).catch(() => []))[0];
  return gpu ? gpu.totalBytes * 0.9 : null;
}

/**
 * The activations a layer-major walk keeps on the device (device-walk.ts): a perplexity group is at most 1 GiB of
 * float32 (forward.ts's default maxActivationBytes; a zero-shot chunk stays well under it), in the pass's element type.
 */
export const passActivationBytes = (dtype: InferDtype): number => (DEFAULT_ACTIVATION_BYTES * (dtype === 'f16' ? 2 : 4)) / 4;

/**
 * Layer-major passes (perplexity, zero-shot): no KV cache, float32 unless asked (they measure accuracy); room for
 * the walk's activations on the device beside the weights. The dense parameter count bounds a slice's from above,
 * so a slice is never placed where it cannot fit.
 */
export function planPasses(config: ModelConfig, req: { ep?: ExecutionProvider; dtype?: InferDtype | 'auto'; vramGb?: number }): Promise<InferencePlan> {
  const { numLayers, numKvHeads, headDim } = config;
  return planInference({
    ep: req.ep ?? 'cpu',
    parameters: countParameters(config),
    shape: { numLayers, numKvHeads, headDim },
    cachePositions: 0,
    dtype: req.dtype ?? 'f32',
    vramGb: req.vramGb,
    activationBytes: passActivationBytes,
  });
}

/** Runner options for a layer-major pass: resident weights (each uploaded once, reused by every window batch). */
export function passRunnerOptions(ep: ExecutionProvider, plan: InferencePlan): RunnerOptions {
  return plan.placement === 'resident' ? { ep, resident: true, passDtype: plan.dtype } : { ep };
}
