// The recovery fine-tuning job's engine: LoRA adapters on a sliced model, trained by the one-graph step
// (step.ts) or, where that would not fit, the layer-streamed step (streamed-step.ts; preflight.ts picks) with AdamW, warm-up + decay, gradient accumulation and clipping; checkpointed every
// `checkpointEvery` steps; merged into a new sliced model folder at the end (merge.ts).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkCancelled, type JobContext } from '../base/job-context';
import { isSlicedModelFolder, SlicedModelSource, tensorNames } from '../slicegpt/sliced-source';
import { loadTokenizer } from '../model/tokenizer';
import { openDataset } from '../data/open';
import { sourceDtype } from '../slicegpt/output-size';
import { prepareOut } from '../slicegpt/out-folder';
import { adamwState, adamwStep, ADAMW_DEFAULTS } from './adamw';
import { clipGlobalNorm } from './clip';
import { isRecordDataset, stepBatches, trainingSet } from './data';
import { initAdaptersFromShapes, linearShapes, loraScale, type LoraRole } from './lora';
import { learningRate, type LrDecay } from './schedule';
import { TrainStep } from './step';
import { checkDropout, maskSource } from './dropout';
import { loadModelWeights } from './train-graph';
import { checkpointEngine, loadCheckpoint, removeCheckpoints, saveCheckpoint, type LossPoint } from './checkpoint';
import { heldWeights, saveAdapters, writeMergedModel } from './merge';
import { StreamedStep, streamedModel, streamedShapes } from './streamed-step';
import { planRecover, RecoverMemoryError, type EnginePlan, type TrainEngine } from './preflight';
import { formatBytes } from '../plan/hardware';
import type { ExecutionProvider } from '../runtime/contract';

export interface RecoverOptions {
  /** A sliced model folder. */
  model: string;
  /** 'wikitext2' (validation), 'alpaca', or a .txt/.json/.jsonl file. */
  data: string;
  out: string;
  rank: number;
  alpha: number;
  steps: number;
  lr: number;
  warmup: number;
  decay: LrDecay;
  batch: number;
  accum: number;
  seqlen: number;
  /** Global gradient-norm limit (0: no clipping). */
  clip: number;
  weightDecay: number;
  seed: number;
  /** Save a checkpoint every n steps (and at the end). */
  checkpointEvery: number;
  roles?: readonly LoraRole[];
  /** PEFT's lora_dropout on each adapter's input (dropout.ts); 0 or absent: none. */
  dropout?: number;
  /** 'auto' (default): the one-graph step while it fits comfortably in RAM, else layer-streamed. */
  engine?: TrainEngine | 'auto';
  /** Where the training graphs run (default cpu); a GPU EP trains layer-streamed. */
  ep?: ExecutionProvider;
}

export interface RecoverResult {
  out: string;
  adapters: string;
  steps: number;
  resumedFrom: number;
  curve: LossPoint[];
  firstLoss: number;
  finalLoss: number;
  trainTokens: number;
  tokensPerSecond: number;
  seconds: number;
  trainableParams: number;
  settings: Record<string, unknown>;
  /** The step that ran and the memory model's peak for it (bytes of host RAM). */
  engine: TrainEngine;
  ep: ExecutionProvider;
  predictedHostBytes: number;
}

/** The model is not a slice, or training diverged (one line). */
export class RecoverError extends Error {
  override name = 'RecoverError';
}

/**
 * The engine a run asks for, given the one its checkpoint was trained with (null: a fresh run, or a checkpoint
 * from before engines were recorded). `auto` continues on the checkpoint's engine (unless it cannot run on
 * this EP: the one-graph step is CPU-only); an explicit other engine is honoured with a note, not refused —
 * the user may need it (the one-graph step no longer fits, another EP), and the cost is only the last bits.
 */
export function resumeEngine(checkpoint: TrainEngine | null, asked: TrainEngine | 'auto', ep: ExecutionProvider): { engine: TrainEngine | 'auto'; note?: string } {
  if (!checkpoint) return { engine: asked };
  const words = (e: TrainEngine) => (e === 'whole' ? 'one-graph' : 'layer-streamed');
  const differs = (e: TrainEngine) =>
    `resuming a run the ${words(checkpoint)} step began on the ${words(e)} step${asked === 'auto' ? ` (the one-graph step runs on the CPU only, this run is on ${ep})` : ` (--engine ${e}, as asked)`}: the merged weights will agree with an uninterrupted run's to about 1e-6, not bit for bit`;
  if (asked === 'auto') return checkpoint === 'whole' && ep !== 'cpu' ? { engine: 'streamed', note: differs('streamed') } : { engine: checkpoint, note: `resuming on the ${words(checkpoint)} step, which trained the checkpoint` };
  return asked === checkpoint ? { engine: asked } : { engine: asked, note: differs(asked) };
}

export async function recoverModel(ctx: JobContext, o: RecoverOptions): Promise<RecoverResult> {
  const model = resolve(o.model);
  if (!isSlicedModelFolder(model)) throw new RecoverError(`${o.model} is not a sliced model folder (no slicing_config.json): recovery fine-tunes a slice`);
  const out = resolve(o.out);
  if (out === model) throw new RecoverError('--out must differ from the sliced model folder: the merged model is a new folder');
  ctx.progress({ phase: 'load', fraction: 0, message: 'reading the slice and the data' });
  const src = await SlicedModelSource.create(model);
  // The training graph (train-graph.ts) has no backward for Qwen3's per-head q/k norms yet.
  if (src.arch.qkNorm) throw new RecoverError(`recovery fine-tuning does not support ${src.config.family} yet (its per-head q/k norms have no training graph)`);
  const tokenizer = await loadTokenizer(model);
  const dropout = o.dropout ?? 0;
  checkDropout(dropout);
  const ep = o.ep ?? 'cpu';
  const settings = {
    rank: o.rank,
    alpha: o.alpha,
    steps: o.steps,
    lr: o.lr,
    warmup: o.warmup,
    decay: o.decay,
    batch: o.batch,
    accum: o.accum,
    seqlen: o.seqlen,
    clip: o.clip,
    weightDecay: o.weightDecay,
    seed: o.seed,
    data: o.data,
    roles: o.roles ?? 'all',
    // Only when used: a checkpoint written before dropout existed still resumes its run.
    ...(dropout > 0 ? { dropout } : {}),
  };
  const settingsKey = JSON.stringify({ ...settings, model });
  // A resumed run continues on the step that trained its checkpoint (engines agree to ~1e-6, not bit for bit).
  const resume = resumeEngine(await checkpointEngine(out, settingsKey), o.engine ?? 'auto', ep);
  const planFor = (engine: TrainEngine | 'auto') => planRecover(src, { batch: o.batch, seq: o.seqlen, rank: o.rank, ...(o.roles ? { roles: o.roles } : {}), storedBytes: sourceDtype(model) === 'float32' ? 4 : 2, ep, engine, dropout: dropout > 0 });
  let plan: EnginePlan;
  try {
    plan = planFor(resume.engine);
    if (resume.note) ctx.log(resume.note);
  } catch (e) {
    // Under auto, the checkpoint's one-graph step may no longer fit (less free RAM than when it began): the
    // streamed step, if it fits, rather than a refusal — with the same note as a forced change.
    if (!(e instanceof RecoverMemoryError) || (o.engine ?? 'auto') !== 'auto' || resume.engine === 'auto') throw e;
    plan = planFor('auto');
    ctx.log(`the one-graph step that began this run no longer fits (${e.message}); resuming on the layer-streamed step: the merged weights will agree with an uninterrupted run's to about 1e-6, not bit for bit`);
  }
  ctx.log(`training ${plan.engine === 'whole' ? 'as one graph' : 'layer-streamed'} on ${ep}: about ${formatBytes(plan.hostBytes)} of RAM${ep === 'cpu' ? '' : ` and ${formatBytes(plan.memory.streamed.device)} of GPU memory`}`);
  // The one-graph step holds every block; the streamed step reads each block when it runs.
  const m = plan.engine === 'whole' ? await loadModelWeights(src) : undefined;
  const lora = { rank: o.rank, alpha: o.alpha, dropout, ...(o.roles ? { roles: o.roles } : {}) };
  const adapters = initAdaptersFromShapes(m ? m.layers.map(linearShapes) : await streamedShapes(src), lora, tensorNames(src.config), o.seed);
  const set = trainingSet(tokenizer, await openDataset(o.data), o.seqlen, isRecordDataset(o.data));
  const params = adapters.flatMap((a) => [a.A, a.B]);
  const opt = adamwState(params);
  // Never into someone else's folder: new, empty, or signed by this app (a slice's own rule).
  prepareOut(out);
  const resumed = await loadCheckpoint(out, settingsKey, adapters, opt);
  const curve: LossPoint[] = resumed?.curve ?? [];
  const start = resumed?.step ?? 0;
  if (resumed) ctx.log(`resuming from the checkpoint at step ${start} of ${o.steps}`);
  checkCancelled(ctx);
  ctx.progress({ phase: 'compile', fraction: 0, message: 'building the training graph' });
  const stepOptions = { batch: o.batch, seq: o.seqlen, scale: loraScale(lora), dropout: dropout > 0 };
  const stepper = m ? await TrainStep.create(m, adapters, stepOptions) : new StreamedStep(await streamedModel(src), { ...stepOptions, ep });
  const t0 = performance.now();
  let tokens = 0;
  const schedule = { lr: o.lr, warmup: o.warmup, steps: o.steps, decay: o.decay };
  const optSettings = { ...ADAMW_DEFAULTS, weightDecay: o.weightDecay };
  let lastSaved = start;
  try {
    for (let step = start; step < o.steps; step++) {
      checkCancelled(ctx);
      let loss = 0;
      let grads: Float32Array[] | undefined;
      for (const [micro, mb] of stepBatches(set, o.seed, step, o.batch, o.accum).entries()) {
        const masks = dropout > 0 ? maskSource(adapters, o.batch * o.seqlen, dropout, o.seed, step, micro) : undefined;
        const r = await stepper.run(mb, adapters, masks);
        loss += r.loss;
        tokens += mb.tokens;
        const flat = r.grads.flatMap((g) => [g.A, g.B]);
        if (!grads) grads = flat.map((g) => Float32Array.from(g));
        else
          grads.forEach((g, k) => {
            for (let i = 0; i < g.length; i++) g[i] += flat[k][i];
          });
      }
      const gradNorm = clipGlobalNorm(grads!, o.clip);
      const lr = learningRate(schedule, step);
      if (!Number.isFinite(loss) || !Number.isFinite(gradNorm)) {
        const kept = lastSaved > 0 ? `the last good checkpoint (step ${lastSaved}) is kept in ${join(out, '.recover')}` : 'no checkpoint had been written yet';
        throw new RecoverError(`training diverged: the loss became ${loss} at step ${step + 1} (learning rate ${lr.toExponential(2)}); ${kept}; lower --lr`);
      }
      adamwStep(params, grads!, opt, lr, optSettings);
      curve.push({ step: step + 1, loss, lr, gradNorm });
      const elapsed = (performance.now() - t0) / 1000;
      const tps = tokens / elapsed;
      const done = step + 1 - start;
      ctx.progress({
        phase: 'train',
        fraction: (step + 1) / o.steps,
        etaSeconds: ((o.steps - step - 1) * elapsed) / done,
        message: `step ${step + 1}/${o.steps} loss ${loss.toFixed(4)} · ${tps.toFixed(0)} tokens/s`,
        data: { step: step + 1, loss, lr, gradNorm, tokensPerSecond: tps },
      });
      if ((step + 1) % o.checkpointEvery === 0 || step + 1 === o.steps) {
        await saveCheckpoint(out, adapters, opt, { step: step + 1, settings: settingsKey, curve, seconds: (resumed?.seconds ?? 0) + elapsed, engine: plan.engine });
        lastSaved = step + 1;
      }
    }
  } finally {
    await stepper.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  const result = (): RecoverResult => ({
    out,
    adapters: join(out, 'adapter'),
    steps: o.steps,
    resumedFrom: start,
    curve,
    firstLoss: curve[0]?.loss ?? NaN,
    finalLoss: curve.at(-1)?.loss ?? NaN,
    trainTokens: tokens,
    tokensPerSecond: seconds > 0 ? tokens / seconds : 0,
    seconds,
    trainableParams: params.reduce((s, p) => s + p.length, 0),
    settings,
    engine: plan.engine,
    ep,
    predictedHostBytes: plan.hostBytes,
  });
  ctx.progress({ phase: 'merge', fraction: 1, message: 'merging the adapters into the slice' });
  await saveAdapters(join(out, 'adapter'), adapters, lora, model);
  await writeMergedModel(out, src, m ? heldWeights(m) : src, adapters, loraScale(lora), sourceDtype(model), { from: model, ...settings, finalLoss: curve.at(-1)?.loss });
  if (existsSync(join(out, 'slicing_config.json'))) removeCheckpoints(out);
  return result();
}
