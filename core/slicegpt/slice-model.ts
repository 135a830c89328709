// `sliceModel(ctx, options)`: the SliceGPT job as the CLI, the app and the benchmarks run it. Opens the
// dense model, gets the calibration tokens, plans the widths, rotates and slices layer by layer into the
// output folder with checkpoints at layer boundaries (every one for small models; big ones about every 120 s of
// work, checkpoint-cadence.ts), and finishes the folder (index, configs, tokenizer).
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { JobContext } from '../base/job-context';
import type { ModelSource } from '../model/model-source';
import { openModel } from '../model/source';
import { isSlicedModelFolder } from './sliced-source';
import { embeddingTables } from '../model/families/index';
import { SliceOptionsError } from './errors';
import { storesTiedEmbedding } from '../model/tied-layout';
import { makeSchedule } from './schedule';
import { rotateAndSlice } from './rotate-and-slice';
import { sourceDtype } from './output-size';
import { SlicedModelWriter } from './output';
import { toSlicingConfig } from './slicing-config';
import { Checkpoint, checkpointKey } from './checkpoint';
import { CheckpointQueue } from './checkpoint-queue';
import { CheckpointCadence } from './checkpoint-cadence';
import { RamBudget } from './activations';
import { DEFAULT_RAM_BUDGET_BYTES } from '../plan/budget';
import { loadCalibration } from './calibration-input';

import { sliceUniform } from './uniform';
import { createSignalEngine, defaultPassDtype } from './engine';
import { prepareOut, validateSliceOptions } from './out-folder';
import { preflightSlice } from './preflight';
import type { SliceOptions, SliceResult } from './slice-options';

export async function sliceModel(ctx: JobContext, o: SliceOptions): Promise<SliceResult> {
  if (o.rotation === 'uniform') return sliceUniform(ctx, o);
  validateSliceOptions(o);
  const started = performance.now();
  ctx.progress({ phase: 'load', fraction: 0, message: `opening ${o.model}` });
  if (isSlicedModelFolder(o.model)) throw new SliceOptionsError(`${o.model} is already a sliced model; slice the dense original instead`);
  const src: ModelSource = await openModel(o.model);
  const cfg = src.config;
  // The source's own dtype (fp16/bf16 stay 2 bytes): a float32 slice of a float16 model is larger than it,
  // and the disk the preflight asks for is counted in it.
  const dtype = o.dtype ?? sourceDtype(o.model);
  const predicted = preflightSlice(cfg, o, 'per-layer', dtype);
  ctx.log(`predicted: ${Math.round(predicted.totalSeconds / 60)} min, peak RAM ${(predicted.peakRamBytes / 2 ** 30).toFixed(1)} GiB, disk ${(predicted.disk.totalBytes / 2 ** 30).toFixed(1)} GiB (${predicted.profile.description})`);
  const calibration = o.calibration ?? (await loadCalibration(o.model, o));
  if (calibration.ids.length !== calibration.nsamples * calibration.seqlen) throw new SliceOptionsError('calibration ids do not match nsamples × seqlen');
  const schedule = makeSchedule({ hiddenSize: cfg.hiddenSize, layers: cfg.numLayers, parallelBlocks: cfg.parallelBlocks, ratio: o.ratio, round: o.round, sliceHead: o.sliceHead });
  const batchSize = o.batchSize ?? Math.max(1, Math.floor(4096 / calibration.seqlen));
  const engineKind = o.engine ?? (o.ep === 'cpu' ? 'host' : 'device');
  const passDtype = engineKind === 'host' ? 'f32' : (o.passDtype ?? defaultPassDtype(o.ep));
  // passDtype joins the fingerprint only when it is not float32, so float32 checkpoints stay resumable.
  // Version 2: a tied embedding is written once (tied.ts); an older checkpoint's embedding shard is not.
  // Untied models write what they always wrote, so their checkpoints stay at 1 and resumable.
  const settings = {
    ratio: o.ratio,
    round: o.round,
    sliceHead: o.sliceHead,
    ep: o.ep,
    engine: engineKind,
    ...(passDtype === 'f16' ? { passDtype } : {}),
    dtype,
    batchSize,
    nsamples: calibration.nsamples,
    seqlen: calibration.seqlen,
    rotations: o.rotations ? 'custom' : 'pca',
    version: storesTiedEmbedding(cfg, schedule.embedding, schedule.head) ? 2 : 1,
  };
  const key = checkpointKey({ modelFolder: o.model, ids: calibration.ids, settings });

  prepareOut(o.out);
  const checkpoint = new Checkpoint(o.out, key);
  const scratch = o.scratch ?? join(o.out, '.scratch');
  rmSync(scratch, { recursive: true, force: true });
  const budget = new RamBudget(o.ramBudgetBytes ?? DEFAULT_RAM_BUDGET_BYTES);
  let resume = null;
  if (o.resume) resume = checkpoint.load(budget, scratch, (m) => ctx.log(m));
  else checkpoint.remove();
  if (resume) ctx.log(`resuming at layer ${resume.nextLayer} of ${cfg.numLayers}`);

  const writer = new SlicedModelWriter(o.out, cfg, dtype);
  const { runner, engine } = await createSignalEngine(src.arch, o.ep, { kind: engineKind, deviceBudgetBytes: o.deviceBudgetBytes, passDtype, storeDtype: dtype });
  // The device engine's checkpoint of a layer is written while the next layer runs (checkpoint-queue.ts); which
  // boundaries are checkpointed is the cadence's (its clock starts here: at the start, or at the resumed boundary).
  const cadence = new CheckpointCadence(cfg.numLayers, { ...o.checkpointCadence, everySeconds: o.checkpointEvery });
  const saves = new CheckpointQueue(checkpoint, { background: engineKind === 'device', maxBackgroundBytes: budget.limit, cadence });
  let result;
  try {
    result = await rotateAndSlice(ctx, {
      source: src,
      runner,
      calibration,
      schedule,
      sink: { embedding: (e) => writer.writeEmbedding(e), layer: (i, w) => writer.writeLayer(i, w), head: (h) => writer.writeHead(h) },
      batchSize,
      scratch,
      ramBudgetBytes: budget.limit,
      engine,
      ...(o.rotations ? { rotations: o.rotations } : {}),
      ...(resume ? { resume } : {}),
      onLayerDone: (b) => saves.save(b),
    });
    await saves.flush();
    const summary = cadence.summary('layer boundaries');
    if (summary) ctx.log(summary);
  } catch (e) {
    // The last taken checkpoint is still worth completing: a resume starts from it.
    await saves.flush().catch(() => {});
    // Spilled activations are not part of the checkpoint; after a failure (a full disk above all) they only take space.
    rmSync(scratch, { recursive: true, force: true });
    throw e;
  } finally {
    await engine.close().finally(() => runner.dispose());
  }
  await writer.finish(o.model, toSlicingConfig(schedule, embeddingTables(cfg)), {
    slicedBy: 'Slice Studio (SliceGPT)',
    source: resolve(o.model),
    ratio: o.ratio,
    d: schedule.d,
    calibration: { cal: o.calibration ? 'custom' : o.cal, nsamples: calibration.nsamples, seqlen: calibration.seqlen, sampling: o.sampling, seed: o.seed },
    round: o.round,
    dtype,
    stats: result.stats,
  });
  checkpoint.remove();
  rmSync(scratch, { recursive: true, force: true });
  ctx.progress({ phase: 'done', fraction: 1 });
  return {
    out: o.out,
    d: schedule.d,
    schedule,
    stats: result.stats,
    timings: result.timings,
    seconds: (performance.now() - started) / 1000,
    resumedAt: resume ? resume.nextLayer : null,
    checkpoints: { taken: cadence.taken, skipped: cadence.skipped },
    spilledChunks: result.spilledChunks,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    dtype,
  };
}
