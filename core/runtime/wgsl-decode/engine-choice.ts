// Which engine decodes at batch 1: the WGSL decoder on the 'webgpu' EP where the architecture is supported
// and a Dawn device opens, else ORT (always on the CPU EP, whose behaviour does not change). The choice
// carries its reason, for results and reports. SLICE_STUDIO_DECODE=ort forces ORT; =wgsl requires WGSL
// (an error saying why when it cannot run, so a benchmark never times ORT by mistake).
// SLICE_STUDIO_DECODE_GEMV=LANESxROWS sets the GEMV's threads a row and rows a workgroup (tuning on a GPU).
import type { ArchSpec } from '../../model/model-source';
import { wgslDevice } from '../../hardware/webgpu-device';
import type { ExecutionProvider } from '../contract';
import type { DecodeWeights } from '../decode-step';
import type { InferencePlan } from '../inference-plan';
import { WgslDecoder } from './decoder';
import { checkGemvShape, type GemvShape } from './gemv-shader';
import { wgslDecodeUnsupported } from './support';

export type DecodeEngineName = 'wgsl' | 'ort';

/** What a result reports: the engine that decoded at batch 1, why ORT where it was, the WGSL adapter. */
export interface DecodeEngineInfo {
  engine: DecodeEngineName;
  reason?: string;
  adapter?: string;
}

export type DecodeEngineChoice = { engine: 'wgsl'; decoder: WgslDecoder; adapter: string } | { engine: 'ort'; reason: string };

export const engineInfo = (c: DecodeEngineChoice): DecodeEngineInfo => (c.engine === 'wgsl' ? { engine: 'wgsl', adapter: c.adapter } : { engine: 'ort', reason: c.reason });

/** SLICE_STUDIO_DECODE: 'ort', 'wgsl' or unset (auto). */
function requested(): 'ort' | 'wgsl' | 'auto' {
  const v = (process.env.SLICE_STUDIO_DECODE ?? '').trim().toLowerCase();
  if (v === '' || v === 'auto') return 'auto';
  if (v === 'ort' || v === 'wgsl') return v;
  throw new Error(`SLICE_STUDIO_DECODE must be ort, wgsl or auto (got ${JSON.stringify(v.slice(0, 20))})`);
}

/** SLICE_STUDIO_DECODE_GEMV ('32x8': lanes × rows), or undefined for the decoder's default. */
export function gemvFromEnv(v = process.env.SLICE_STUDIO_DECODE_GEMV): GemvShape | undefined {
  if (!v?.trim()) return undefined;
  const m = /^\s*(\d+)\s*x\s*(\d+)\s*$/i.exec(v);
  if (!m) throw new Error(`SLICE_STUDIO_DECODE_GEMV must be LANESxROWS, like 32x8 (got ${JSON.stringify(v.slice(0, 20))})`);
  const g = { lanes: Number(m[1]), rows: Number(m[2]) };
  checkGemvShape(g);
  return g;
}

/**
 * The batch-1 decoder for `w` on `ep` with a cache of `context` positions (weights in the plan's element
 * type), or ORT and why. The WGSL decoder uploads its own copy of the weights: a caller that chose it should
 * not run ORT's resident graphs beside it.
 */
export async function batch1Decoder(ep: ExecutionProvider, arch: ArchSpec, w: DecodeWeights, context: number, plan: InferencePlan): Promise<DecodeEngineChoice> {
  const want = requested();
  const why = whyOrt(ep, arch, want, plan);
  if (why) return refuse(want, why);
  const dev = await wgslDevice();
  if ('unavailable' in dev) return refuse(want, dev.unavailable);
  try {
    const gemv = gemvFromEnv();
    const decoder = await WgslDecoder.create(dev.device, arch, w, { context, weights: plan.dtype === 'f16' ? 'float16' : 'float32', ...(gemv ? { gemv } : {}) });
    return { engine: 'wgsl', decoder, adapter: dev.adapter };
  } catch (e) {
    return refuse(want, e instanceof Error ? e.message : String(e));
  }
}

/**
 * Why batch1Decoder would not try WGSL for this EP, architecture and plan (SLICE_STUDIO_DECODE=ort included), or
 * null when it would — without opening the device: a caller frees ORT's copy of the weights first on null.
 */
export function wgslDecodeRefusal(ep: ExecutionProvider, arch: ArchSpec, plan: InferencePlan): string | null {
  return whyOrt(ep, arch, requested(), plan);
}

function whyOrt(ep: ExecutionProvider, arch: ArchSpec, want: 'ort' | 'wgsl' | 'auto', plan: InferencePlan): string | null {
  if (want === 'ort') return 'SLICE_STUDIO_DECODE=ort';
  if (ep !== 'webgpu') return `the ${ep} EP decodes with ORT`;
  if (plan.placement === 'streamed') return 'the weights do not fit the device (streamed)';
  return wgslDecodeUnsupported(arch);
}

function refuse(want: 'ort' | 'wgsl' | 'auto', reason: string): DecodeEngineChoice {
  if (want === 'wgsl') throw new Error(`SLICE_STUDIO_DECODE=wgsl, but the WGSL decoder cannot run: ${reason}`);
  return { engine: 'ort', reason };
}

/**
 * Frees a WGSL choice's decoder (its weights, cache and activations). The process's Dawn device stays open for
 * the next model (reopening it between models is the suspect of the infer bench's one-process SIGSEGV on the
 * H100): the job or bench that owns the process closes it once at its end (closeWgslDevice — a live Dawn device
 * keeps Node from exiting).
 */
export async function releaseBatch1Decoder(c: DecodeEngineChoice | undefined): Promise<void> {
  if (c?.engine !== 'wgsl') return;
  c.decoder.dispose();
}
