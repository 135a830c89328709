// `npm run bench -- recover-step --model <sliced folder> [flags]` — one recovery fine-tuning path's speed
// and memory (issue #16 at scale): trains --steps AdamW steps of LoRA (all seven linears) on random token
// windows (the step's cost does not depend on the data) and prints one JSON line: training tokens/s
// (after a --warmup step, which builds the graphs), this process's peak RSS, and the memory model's
// prediction for the same shape (core/recover/memory.ts). Run once per configuration: peak RSS is the
// process's.
// `--synthetic llama-2-7b --layers 2 --ratio 0.25 [--configs-dir DIR]` trains the streamed step on a sliced
// layer stack of that config's shape with random weights made block by block (bench/lib/synthetic-sliced.ts).
//   flags: --mode whole|streamed --ep cpu|webgpu --batch 1 --seq 256 --rank 32 --steps 3 --warmup 1
//          --resident (streamed step with the blocks held instead of read per use) --dropout P (lora_dropout:
//          masks drawn per step as the job draws them, core/recover/dropout.ts) --label <text>
import { cpus } from 'node:os';
import { SlicedModelSource, tensorNames } from '../core/slicegpt/sliced-source';
import { parseSlicingConfig } from '../core/slicegpt/slicing-config';
import { loadModelWeights } from '../core/recover/train-graph';
import { initAdaptersFromShapes, linearShapes } from '../core/recover/lora';
import { TrainStep } from '../core/recover/step';
import { residentModel, StreamedStep, streamedModel, streamedShapes } from '../core/recover/streamed-step';
import { adamwState, adamwStep } from '../core/recover/adamw';
import { shapeOf, trainMemory, trainShape, type TrainShape } from '../core/recover/memory';
import type { ModelConfig } from '../core/model/config';
import type { ModelWeights } from '../core/recover/train-graph';
import type { StreamedModel } from '../core/recover/streamed-step';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { syntheticSliced } from './lib/synthetic-sliced';
import { sharedData } from '../test/shared';
import { sourceDtype } from '../core/slicegpt/output-size';
import { mulberry32 } from '../core/data/prng';
import type { MicroBatch } from '../core/recover/data';
import type { ExecutionProvider } from '../core/runtime/contract';
import { flags } from './lib/flags';
import { maskSource } from '../core/recover/dropout';

export async function main(args: string[]): Promise<void> {
  const f = flags(args);
  const num = (k: string, d: number) => Number(f.get(k) ?? d);
  const mode = (f.get('mode') ?? 'streamed') as 'whole' | 'streamed';
  const ep = (f.get('ep') ?? 'cpu') as ExecutionProvider;
  const [B, S, rank, steps, warmup] = [num('batch', 1), num('seq', 256), num('rank', 32), num('steps', 3), num('warmup', 1)];
  const t0 = performance.now();
  const opened = f.has('synthetic') ? synthetic(f) : await folder(f, mode === 'whole' || f.has('resident'));
  const { config, shape, model, resident } = opened;
  const dropout = num('dropout', 0);
  const predicted = trainMemory(shape, { batch: B, seq: S, rank, dropout: dropout > 0 });
  const adapters = initAdaptersFromShapes(resident ? resident.layers.map(linearShapes) : await streamedShapes({ config, layer: (i) => opened.streamed.layer(i) }), { rank, alpha: 10 }, tensorNames(config), 1);
  const so = { batch: B, seq: S, scale: 10 / rank, dropout: dropout > 0 };
  const step = mode === 'whole' ? await TrainStep.create(resident!, adapters, so) : new StreamedStep(opened.streamed, { ...so, ep });
  const src = { config };
  const rng = mulberry32(3);
  const mb = (): MicroBatch => {
    const ids = Int32Array.from({ length: B * S }, () => 3 + Math.floor(rng() * (src.config.vocabSize - 3)));
    const targets = Int32Array.from(ids, (_, i) => ids[(i + 1) % ids.length]);
    return { ids, targets, weights: new Float32Array(B * S).fill(1 / (B * S)), tokens: B * S };
  };
  const setupRss = process.memoryUsage.rss();
  const params = adapters.flatMap((a) => [a.A, a.B]);
  const opt = adamwState(params);
  const losses: number[] = [];
  let timed = 0;
  let t1 = 0;
  for (let i = 0; i < warmup + steps; i++) {
    if (i === warmup) t1 = performance.now();
    const r = await step.run(mb(), adapters, dropout > 0 ? maskSource(adapters, B * S, dropout, 1, i, 0) : undefined);
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
      weights: f.has('synthetic') ? 'random, made per block use (no disk read)' : resident ? 'held' : 'read from the folder per block use',
      ep,
      batch: B,
      seq: S,
      rank,
      steps,
      dropout,
      adapterParams: predicted.adapterParams,
      tokensPerSecond: +(timed / seconds).toFixed(1),
      secondsPerStep: +(seconds / steps).toFixed(3),
      setupSeconds: +((t1 - t0) / 1000).toFixed(2),
      losses,
      peakRssGiB: gib(process.resourceUsage().maxRSS * 1024),
      rssAfterSetupGiB: gib(setupRss),
      predictedGiB: {
        streamedHost: gib(predicted.streamed.host),
        streamedHostWithGpu: gib(predicted.streamed.hostWithGpu),
        streamedDevice: gib(predicted.streamed.device),
        wholeHost: gib(predicted.whole.host),
        masksHost: { whole: gib(predicted.masks.whole), streamed: gib(predicted.masks.streamed) },
      },
      shape,
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
    }),
  );
}

interface Opened {
  config: ModelConfig;
  shape: TrainShape;
  model: string;
  resident?: ModelWeights;
  streamed: StreamedModel;
}

async function folder(f: Map<string, string>, hold: boolean): Promise<Opened> {
  const model = f.get('model');
  if (!model) throw new Error('recover-step: --model <sliced folder> or --synthetic <config> is required');
  const src = await SlicedModelSource.create(model);
  const shape = trainShape(src.config, parseSlicingConfig(src.slicing), sourceDtype(model) === 'float32' ? 4 : 2, src.tiedEmbedding);
  const resident = hold ? await loadModelWeights(src) : undefined;
  return { config: src.config, shape, model, ...(resident ? { resident } : {}), streamed: resident ? residentModel(resident) : await streamedModel(src) };
}

function synthetic(f: Map<string, string>): Opened {
  const name = f.get('synthetic')!;
  const dir = resolve(f.get('configs-dir') ?? sharedData('configs'));
  const file = readdirSync(dir).find((x) => x.startsWith(name) && x.endsWith('.json'));
  if (!file) throw new Error(`no config ${name}*.json in ${dir}`);
  const m = syntheticSliced(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>, Number(f.get('layers') ?? 2), Number(f.get('ratio') ?? 0.25));
  const c = m.config;
  // Random weights made per use: no stored bytes beside the float32 block.
  const shape = shapeOf(c, { embedding: m.width, block: m.width, head: m.width }, 0, false);
  return { config: c, shape, model: `synthetic ${file} × ${c.numLayers} layers, d ${m.width}`, streamed: m };
}
