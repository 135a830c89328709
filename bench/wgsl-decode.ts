// `npm run bench -- wgsl-decode [--width 4096] [--inter 11008] [--heads 32] [--kv-heads 32] [--layers 8]
//   [--vocab 32000] [--prompt 16] [--steps 64] [--repeat 3] [--weights float16|float32] [--gemv 32x4,32x8,…]`:
// the WGSL decoder (core/runtime/wgsl-decode) alone on this process's Dawn device, on a synthetic LLaMA of the
// given shape (the default: LLaMA-2-7B's first 8 layers, issue #14's bench shape), for each GEMV shape: ms per
// decoded token at batch 1 (median of --repeat runs of --steps greedy steps after a --prompt-token prompt fed
// a token a step), and the weight stream that implies (bytes of linears, embedding row and head per token / time).
// Values do not change the work: every layer shares one set of random matrices on the host (each is uploaded
// apart). Prints one JSON document. No model folder needed; compare with `infer-speed --ep webgpu` for the app path.
import { closeWgslDevice, wgslDevice } from '../core/hardware/webgpu-device';
import type { DecodeWeights } from '../core/runtime/decode-step';
import type { ArchSpec } from '../core/model/model-source';
import type { LayerWeights, Linear, NormSpec } from '../core/model/weights';
import { WgslDecoder } from '../core/runtime/wgsl-decode/decoder';
import { greedyDecodeWgsl } from '../core/runtime/wgsl-decode/greedy';
import { gemvFromEnv } from '../core/runtime/wgsl-decode/engine-choice';
import type { WeightType } from '../core/runtime/wgsl-decode/gemv-shader';

function random(n: number, seed: number, scale: number): Float32Array {
  // A 64k-value random block repeated: values do not matter for speed, and filling GBs stays fast.
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  const block = Math.min(n, 1 << 16);
  for (let i = 0; i < block; i++) a[i] = ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5) * scale;
  for (let i = block; i < n; i *= 2) a.copyWithin(i, 0, Math.min(i, n - i));
  return a;
}

const linear = (out: number, inn: number, seed: number): Linear => ({ weight: { rows: out, cols: inn, data: random(out * inn, seed, 2 / Math.sqrt(inn)) } });

function synthetic(a: { width: number; inter: number; heads: number; kvHeads: number; layers: number; vocab: number }): { arch: ArchSpec; w: DecodeWeights; linearWeights: number } {
  const d = a.width / a.heads;
  const norm = (): NormSpec => ({ kind: 'rmsnorm', eps: 1e-5, divisor: a.width, weight: random(a.width, 3, 1).map((x) => 1 + x) });
  const attn = { norm: norm(), q: linear(a.width, a.width, 4), k: linear(a.kvHeads * d, a.width, 5), v: linear(a.kvHeads * d, a.width, 6), o: linear(a.width, a.width, 7) };
  const mlp = { norm: norm(), gate: linear(a.inter, a.width, 8), up: linear(a.inter, a.width, 9), down: linear(a.width, a.inter, 10) };
  const layer: LayerWeights = { kind: 'sequential', attn, mlp };
  const w: DecodeWeights = { emb: { tokens: { rows: a.vocab, cols: a.width, data: random(a.vocab * a.width, 1, 1) } }, layers: Array.from({ length: a.layers }, () => layer), head: { norm: norm(), lm: linear(a.vocab, a.width, 2) } };
  const perLayer = a.width * a.width * 2 + 2 * a.kvHeads * d * a.width + 3 * a.inter * a.width;
  const arch: ArchSpec = { numHeads: a.heads, numKvHeads: a.kvHeads, headDim: d, rope: { theta: 10000, rotaryDim: d }, activation: 'silu', gatedMlp: true, parallelBlocks: false };
  return { arch, w, linearWeights: perLayer * a.layers + a.vocab * a.width };
}

export async function main(args: string[]): Promise<void> {
  const arg = (f: string, d: string) => (args.indexOf(f) >= 0 ? args[args.indexOf(f) + 1] : d);
  const shape = {
    width: Number(arg('--width', '4096')),
    inter: Number(arg('--inter', '11008')),
    heads: Number(arg('--heads', '32')),
    kvHeads: Number(arg('--kv-heads', '32')),
    layers: Number(arg('--layers', '8')),
    vocab: Number(arg('--vocab', '32000')),
  };
  const prompt = Number(arg('--prompt', '16'));
  const steps = Number(arg('--steps', '64'));
  const repeat = Math.max(1, Number(arg('--repeat', '3')));
  const weights = arg('--weights', 'float16') as WeightType;
  const gemvs = arg('--gemv', '16x8,32x4,32x8,64x4')
    .split(',')
    .map((g) => gemvFromEnv(g)!);
  const dev = await wgslDevice();
  if ('unavailable' in dev) throw new Error(dev.unavailable);
  const t0 = performance.now();
  const { arch, w, linearWeights } = synthetic(shape);
  const synthSeconds = (performance.now() - t0) / 1000;
  const bytesPerToken = linearWeights * (weights === 'float16' ? 2 : 4);
  const ids = Int32Array.from({ length: prompt }, (_, i) => (i * 7919 + 17) % shape.vocab);
  const results: unknown[] = [];
  for (const gemv of gemvs) {
    const t1 = performance.now();
    const dec = await WgslDecoder.create(dev.device, arch, w, { context: prompt + steps + 1, weights, gemv });
    const uploadSeconds = (performance.now() - t1) / 1000;
    try {
      let first = 0;
      await greedyDecodeWgsl(dec, ids, 2, { afterPrompt: () => (first = performance.now()) }); // pipelines, first submits
      const runs: number[] = [];
      for (let r = 0; r < repeat; r++) {
        let t = 0;
        await greedyDecodeWgsl(dec, ids, steps, { afterPrompt: () => (t = performance.now()) });
        runs.push((performance.now() - t) / steps);
      }
      const ms = [...runs].sort((a, b) => a - b)[Math.floor((runs.length - 1) / 2)];
      results.push({ gemv, msPerToken: ms, runs, weightGBps: bytesPerToken / (ms / 1000) / 1e9, uploadSeconds, deviceMiB: dec.deviceBytes / 2 ** 20, warm: first > 0 });
      console.error(`gemv ${gemv.lanes}x${gemv.rows}: ${ms.toFixed(3)} ms/token, ${(bytesPerToken / (ms / 1000) / 1e9).toFixed(0)} GB/s of weights`);
    } finally {
      dec.dispose();
    }
  }
  console.log(JSON.stringify({ bench: 'wgsl-decode', adapter: dev.adapter, shape, prompt, steps, repeat, weights, bytesPerToken, synthSeconds, results }, null, 1));
  await closeWgslDevice();
}
