// The page side of wgsl-decode.test.ts: the WGSL decoder on the browser's WebGPU (Chromium's SwiftShader),
// fed the weights the test loaded in Node (fetched as JSON + one binary blob), decoding greedily with the
// logits of every step read back, and (when asked) through greedyDecodeWgsl for the ids alone.
import { deviceFrom } from '../../../../core/hardware/webgpu-device';
import type { GpuEntry } from '../../../../core/hardware/webgpu-types';
import type { ArchSpec } from '../../../../core/model/model-source';
import type { DecodeWeights } from '../../../../core/runtime/decode-step';
import { WgslDecoder } from '../../../../core/runtime/wgsl-decode/decoder';
import { greedyDecodeWgsl } from '../../../../core/runtime/wgsl-decode/greedy';
import type { GemvShape, WeightType } from '../../../../core/runtime/wgsl-decode/gemv-shader';
import { openWgslSequence } from '../../../../core/runtime/wgsl-decode/sequence';
import type { SamplingOptions } from '../../../../core/runtime/sampling';
import { fromWire } from '../weights-wire';

const gpu = (navigator as unknown as { gpu?: GpuEntry }).gpu;
const device = gpu ? deviceFrom(gpu) : Promise.resolve({ unavailable: 'navigator.gpu is missing' });

export interface DecodeRequest {
  name: string;
  arch: ArchSpec;
  prompt: number[];
  steps: number;
  weights: WeightType;
  /** The GEMV's shape (the decoder's default when absent). */
  gemv?: GemvShape;
  /** Also decode through greedyDecodeWgsl (ids only). */
  greedy: boolean;
  /** Feed these ids after the prompt (the reference's) instead of the decoder's own choices. */
  follow?: number[];
}

export interface SequenceRequest {
  name: string;
  arch: ArchSpec;
  prompt: number[];
  maxNewTokens: number;
  sampling?: SamplingOptions;
  gemv: GemvShape;
}

async function weightsOf(name: string): Promise<DecodeWeights> {
  const [json, blob] = await Promise.all([fetch(`/${name}.json`).then((x) => x.text()), fetch(`/${name}.bin`).then((x) => x.arrayBuffer())]);
  return fromWire<DecodeWeights>(json, blob);
}

const failure = (e: unknown) => ({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });

Object.assign(globalThis, {
  /** generate.ts's token-per-call Decoder over the WGSL decoder: the ids, greedy or sampled. */
  sequenceWgsl: async (r: SequenceRequest) => {
    const dev = await device;
    if ('unavailable' in dev) return { unavailable: dev.unavailable };
    try {
      const dec = await WgslDecoder.create(dev.device, r.arch, await weightsOf(r.name), { context: r.prompt.length + r.maxNewTokens, gemv: r.gemv });
      try {
        const seq = openWgslSequence(dec, r.prompt, { maxNewTokens: r.maxNewTokens, stopIds: [], ...(r.sampling ? { sampling: r.sampling } : {}) }, null);
        while ((await seq.next()) !== null);
        return { ids: seq.result().ids };
      } finally {
        dec.dispose();
      }
    } catch (e) {
      return failure(e);
    }
  },
  decodeWgsl: async (r: DecodeRequest) => {
    const dev = await device;
    if ('unavailable' in dev) return { unavailable: dev.unavailable };
    try {
      const w = await weightsOf(r.name);
      const dec = await WgslDecoder.create(dev.device, r.arch, w, { context: r.prompt.length + r.steps, weights: r.weights, ...(r.gemv ? { gemv: r.gemv } : {}) });
      try {
        const P = r.prompt.length;
        for (let i = 0; i < P - 1; i++) dec.feed(r.prompt[i], i);
        const logits: number[][] = [];
        const ids: number[] = [];
        let token = r.prompt[P - 1];
        for (let i = 0; i <= r.steps; i++) {
          const s = await dec.step(token, P - 1 + i, 'logits');
          logits.push([...s.logits!]);
          ids.push(s.next);
          token = r.follow ? r.follow[i] : s.next;
        }
        const greedy = r.greedy ? (await greedyDecodeWgsl(dec, Int32Array.from(r.prompt), r.steps)).map((a) => a[0]) : null;
        return { ids, greedy, logits, adapter: dev.adapter, deviceBytes: dec.deviceBytes };
      } finally {
        dec.dispose();
      }
    } catch (e) {
      return failure(e);
    }
  },
});
