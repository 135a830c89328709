// This machine's LoRA training rate, measured: a few steps of each training step (the one graph and the
// layer-streamed one) on a tiny model (the bundled demo model, dense), timed after a warm-up step. The
// wizard's time estimate scales these rates to the slice's shape by the matmul work per token
// (defaults.ts), instead of a rate measured on another machine. Measured once per hardware snapshot and
// stored with it (store: setHardwareTrainRate), reused by later snapshots of the same CPU and platform.
import { openModel } from '../model/source';
import { tensorNames } from '../slicegpt/sliced-source';
import { countParams, denseShapes } from '../plan/params';
import { initAdaptersFromShapes, linearShapes, loraScale } from './lora';
import { loadModelWeights } from './train-graph';
import { TrainStep } from './step';
import { StreamedStep, streamedModel } from './streamed-step';
import type { MicroBatch } from './data';
import type { TrainRate } from '../hardware/types';

export type { TrainRate } from '../hardware/types';

/** The API's answer when the rate is not measured now (a job shares the cores): why, in one line. */
export interface TrainRateNotMeasured {
  notMeasured: string;
}

/** The probe's shape: the wizard's default micro-batch (4 × 256 tokens: at one sequence the tiny model's per-run overheads dominate, 159 vs 816 tokens/s streamed vs one graph here), rank 8, 2 timed steps after a warm-up. */
export const PROBE = { batch: 4, seq: 256, rank: 8, alpha: 16, steps: 2 } as const;

function probeBatch(vocab: number): MicroBatch {
  const n = PROBE.batch * PROBE.seq;
  const mb: MicroBatch = { ids: new Int32Array(n), targets: new Int32Array(n), weights: new Float32Array(n), tokens: n };
  // Token ids from a fixed arithmetic sequence: the rate does not depend on which tokens they are.
  for (let i = 0; i < n; i++) [mb.ids[i], mb.targets[i], mb.weights[i]] = [(7 + 31 * i) % vocab, (38 + 31 * i) % vocab, 1 / n];
  return mb;
}

/** Times `steps` runs after one warm-up run (graph build and the first run's allocations excluded). */
async function tokensPerSecond(step: { run(mb: MicroBatch, a: Parameters<TrainStep['run']>[1]): Promise<unknown>; dispose(): Promise<void> }, mb: MicroBatch, adapters: Parameters<TrainStep['run']>[1]): Promise<number> {
  try {
    await step.run(mb, adapters);
    const t0 = performance.now();
    for (let i = 0; i < PROBE.steps; i++) await step.run(mb, adapters);
    return (PROBE.steps * mb.tokens) / ((performance.now() - t0) / 1000);
  } finally {
    await step.dispose();
  }
}

/** Measures both training steps on the model in `folder` (the app passes its bundled demo model). */
export async function measureTrainRate(folder: string, cores: number): Promise<TrainRate> {
  const src = await openModel(folder);
  const m = await loadModelWeights(src);
  const lora = { rank: PROBE.rank, alpha: PROBE.alpha };
  const adapters = initAdaptersFromShapes(m.layers.map(linearShapes), lora, tensorNames(src.config), 1);
  const mb = probeBatch(src.config.vocabSize);
  const o = { batch: PROBE.batch, seq: PROBE.seq, scale: loraScale(lora) };
  const whole = await tokensPerSecond(await TrainStep.create(m, adapters, o), mb, adapters);
  const streamed = await tokensPerSecond(new StreamedStep(await streamedModel(src), o), mb, adapters);
  const c = src.config;
  return {
    tokensPerSecond: { whole, streamed },
    workParams: countParams(denseShapes(c)).layers + c.vocabSize * c.hiddenSize,
    probe: `${c.family} ${folder.split(/[\\/]/).filter(Boolean).at(-1)}, ${PROBE.batch} × ${PROBE.seq} tokens, ${PROBE.steps} steps per engine`,
    cores,
    measuredAt: new Date().toISOString(),
  };
}
