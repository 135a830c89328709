// `npm run bench -- recover-step --model <sliced folder> [flags]` — one recovery fine-tuning path's speed
// and memory (issue #16 at scale): trains --steps AdamW steps of LoRA (all seven linears) on random token
// windows (the step's cost does not depend on the data) and prints one JSON line: training tokens/s
// (after a --warmup step, which builds the graphs), this process's peak RSS, and the memory model's
// prediction for the same shape (core/recover/memory.ts). Run once per configuration: peak RSS is the
// process's.
//   flags: --mode whole|streamed --ep cpu|webgpu --batch 1 --seq 256 --rank 32 --steps 3 --warmup 1
//          --resident (streamed step with the blocks held instead of read per use) --label <text>
import { cpus } from 'node:os';
import { SlicedModelSource, tensorNames } from '../core/slicegpt/sliced-source';
import { parseSlicingConfig } from '../core/slicegpt/slicing-config';
import { loadModelWeights } from '../core/recover/train-graph';
import { initAdaptersFromShapes, linearShapes } from '../core/recover/lora';
import { TrainStep } from '../core/recover/step';
import { residentModel, StreamedStep, streamedModel, streamedShapes } from '../core/recover/streamed-step';
import { adamwState, adamwStep } from '../core/recover/adamw';
import { trainMemory, trainShape } from '../core/recover/memory';
import { sourceDtype } from '../core/slicegpt/output-size';
import { mulberry32 } from '../core/data/prng';
import type { MicroBatch } from '../core/recover/data';
import type { ExecutionProvider } from '../core/runtime/contract';
import { flags } from './lib/flags';

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const model = f.get('model');
  if (!model) throw new Error('recover-step: --model <sliced folder> is required');
  const num = (k: string, d: number) => Number(f.get(k) ?? d);
  const mode = (f.get('mode') ?? 'streamed') as 'whole' | 'streamed';
  const ep = (f.get('ep') ?? 'cpu') as ExecutionProvider;
  const [B, S, rank, steps, warmup] = [num('batch', 1), num('seq', 256), num('rank', 32), num('steps', 3), num('warmup', 1)];
  const src = await SlicedModelSource.create(model);
  const shape = trainShape(src.config, parseSlicingConfig(src.slicing), sourceDtype(model) === 'float32' ? 4 : 2, src.tiedEmbedding);
  const predicted = trainMemory(shape, { batch: B, seq: S, rank });
  const t0 = performance.now();
  const resident = mode === 'whole' || f.has('resident') ? await loadModelWeights(src) : undefined;
  const adapters = initAdaptersFromShapes(resident ? resident.layers.map(linearShapes) : await streamedShapes(src), { rank, alpha: 10 }, tensorNames(src.config), 1);
  const step = mode === 'whole' ? await TrainStep.create(resident!, adapters, { batch: B, seq: S, scale: 10 / rank }) : new StreamedStep(resident ? residentModel(resident) : await streamedModel(src), { batch: B, seq: S, scale: 10 / rank, ep });
  const rng = mulberry32(3);
  const mb = (): MicroBatch => {
    const ids = Int32Array.from({ length: B * S }, () => 3 + Math.floor(rng() * (src.config.vocabSize - 3)));
    const targets = Int32Array.from(ids, (_, i) => ids[(i + 1) % ids.length]);
    return { ids, targets, weights: new Float32Array(B * S).fill(1 / (B * S)), tokens: B * S };
  };
  const params = adapters.flatMap((a) => [a.A, a.B]);
  const opt = adamwState(params);
  const losses: number[] = [];
  let timed = 0;
  let t1 = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) t1 = performance.now();
    const r = await step.run(mb(), adapters);
    losses.push(r.loss);
    adamwStep(
      params,
      r.grads.flatMap((g) => [g.A, g.B]),
      opt,
      1e-4,
    );
    if (i >= warmup) timed += B * S;
    process.stderr.write(`step ${i + 1}/${warmup + steps} loss ${r.loss.toFixed(4)} rss ${(process.memoryUsage.rss() / 2 ** 30).toFixed(2)} GiB\n`);
  }
  const seconds = (performance.now() - t1) / 1000;
  await step.dispose();
  const gib = (b: number) => +(b / 2 ** 30).toFixed(3);
  console.log(
    JSON.stringify({
      label: f.get('label') ?? null,
      model,
      mode: resident && mode === 'streamed' ? 'streamed-resident' : mode,
      ep,
      batch: B,
      seq: S,
      rank,
      steps,
      adapterParams: predicted.adapterParams,
      tokensPerSecond: +(timed / seconds).toFixed(1),
      secondsPerStep: +(seconds / steps).toFixed(3),
      setupSeconds: +((t1 - t0) / 1000).toFixed(2),
      losses,
      peakRssGiB: gib(process.resourceUsage().maxRSS * 1024),
      predictedGiB: { streamedHost: gib(predicted.streamed.host), streamedHostWithGpu: gib(predicted.streamed.hostWithGpu), streamedDevice: gib(predicted.streamed.device), wholeHost: gib(predicted.whole.host) },
      shape,
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    }),
  );
}
