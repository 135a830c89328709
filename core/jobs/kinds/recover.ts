// `recover`: recovery fine-tuning of a sliced model (core/recover): LoRA adapters trained on a dataset,
// merged into a new sliced model folder (plus the adapters on their own in `<out>/adapter`).
// Recorded with run kind 'slice' (the store's run kinds are a closed list; like a slice it writes a sliced
// folder): the run hangs under the slice run that wrote its input, evaluations of its output hang under
// it, and its loss curve is kept as one layer_stats row per step (phase 'train-loss', layer = step).
import { basename, join, resolve } from 'node:path';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { literal, nonEmptyString, number, object, optional, positiveInteger, integer, array } from '../../base/validate';
import { dataDir } from '../../base/paths';
import type { RecoverOptions, RecoverResult } from '../../recover/train';
import { LORA_ROLES, type LoraRole } from '../../recover/lora';
import { RFT_SHAPE_DEFAULTS } from '../../recover/defaults';
import { datasetSpec } from './ppl';
import { inRange, modelFolder } from './common';

/** `ep`: the EPs training runs on (the params' own list), so stored params start a job again as they are. */
export type RecoverParams = Omit<RecoverOptions, 'out' | 'roles' | 'ep'> & { out?: string; roles?: LoraRole[]; ep?: 'cpu' | 'webgpu' };

/** r 32 and α 10 as in the reference's RFT command (its README; its lora_dropout 0.05 is opt-in here: --dropout), lr 2e-4 a common LoRA rate, far fewer steps than its 8,000 × 1024-token samples; warm-up ≤ steps/10. */
export const RECOVER_DEFAULTS = {
  data: 'alpaca',
  ...RFT_SHAPE_DEFAULTS,
  lr: 2e-4,
  warmup: 10,
  decay: 'cosine',
  accum: 1,
  clip: 1,
  weightDecay: 0,
  seed: 42,
  checkpointEvery: 25,
} as const;

const shape = object({
  model: modelFolder,
  data: optional(nonEmptyString),
  out: optional(nonEmptyString),
  rank: optional(positiveInteger),
  alpha: optional(number),
  steps: optional(positiveInteger),
  lr: optional(number),
  warmup: optional(integer),
  decay: optional(literal('cosine', 'linear', 'constant')),
  batch: optional(positiveInteger),
  accum: optional(positiveInteger),
  seqlen: optional(positiveInteger),
  clip: optional(number),
  weightDecay: optional(number),
  seed: optional(integer),
  checkpointEvery: optional(positiveInteger),
  roles: optional(array(literal(...LORA_ROLES))),
  dropout: optional(number),
  engine: optional(literal('auto', 'whole', 'streamed')),
  ep: optional(literal('cpu', 'webgpu')),
});

export const recoverParams = paramsFrom('recovery fine-tuning parameters', shape, (p, where): RecoverParams => {
  inRange(`${where}.rank`, p.rank, 1, 4096);
  inRange(`${where}.alpha`, p.alpha, 1e-6, 1e6, false);
  inRange(`${where}.lr`, p.lr, 1e-12, 10, false);
  inRange(`${where}.seqlen`, p.seqlen, 2, 1 << 16);
  inRange(`${where}.warmup`, p.warmup, 0, 1e9);
  inRange(`${where}.clip`, p.clip, 0, 1e9, false);
  inRange(`${where}.weightDecay`, p.weightDecay, 0, 10, false);
  inRange(`${where}.dropout`, p.dropout, 0, 0.99, false);
  const d = { ...RECOVER_DEFAULTS };
  // A short run still gets most of its steps at the full rate: warm-up at most a tenth of them.
  const warmup = p.warmup ?? Math.min(d.warmup, Math.floor((p.steps ?? d.steps) / 10));
  return {
    ...d,
    ...Object.fromEntries(Object.entries(p).filter(([, v]) => v !== undefined)),
    warmup,
    model: p.model,
    data: datasetSpec(p.data ?? d.data),
    ...(p.out ? { out: resolve(p.out) } : {}),
  } as RecoverParams;
});

export const defaultRecoverOut = (model: string, runId: number): string => join(dataDir(), 'recovered', `${basename(model)}-rft-${runId}`);

export const recoverJob = defineJob({
  kind: 'recover',
  runKind: 'slice',
  summary: 'Recovery fine-tuning of a slice: LoRA adapters trained in ONNX Runtime, merged into a new sliced model',
  cli: {
    positionalLabel: 'a sliced model folder',
    flags: {
      out: { value: '<dir>', required: 'recover needs --out <dir>: the folder of the recovered (merged) model' },
      data: { value: 'alpaca|wikitext2|<file>' },
      rank: { min: 1, max: 4096 },
      alpha: { min: 1e-6, max: 1e6 },
      steps: { min: 1, max: 1 << 30 },
      lr: { min: 1e-12, max: 10 },
      warmup: { min: 0, max: 1 << 30 },
      batch: { min: 1, max: 1 << 16 },
      accum: { min: 1, max: 1 << 16 },
      seqlen: { min: 2, max: 1 << 16 },
      clip: { min: 0, max: 1e9 },
      weightDecay: { min: 0, max: 10 },
      dropout: { min: 0, max: 0.99 },
      seed: { min: -(2 ** 31), max: 2 ** 31 - 1 },
      checkpointEvery: { min: 1, max: 1 << 30 },
    },
  },
  params: recoverParams,
  describe: (p) => `recover ${basename(p.model)} (r ${p.rank}, ${p.steps} steps on ${basename(p.data)})`,
  modelPath: (p) => p.model,
  prepare: (p, runId) => (p.out ? p : { ...p, out: defaultRecoverOut(p.model, runId) }),
  outputs: (p) => (p.out ? [p.out] : []),
  ep: (p) => p.ep ?? 'cpu',
  async run(ctx, p): Promise<RecoverResult> {
    const { recoverModel } = await import('../../recover/train');
    if (!p.out) throw new Error('recover: the output folder was not filled in');
    const r = await recoverModel(ctx, { ...p, out: p.out });
    ctx.log(`trained ${r.trainableParams.toLocaleString('en-US')} adapter parameters for ${r.steps} steps (loss ${r.firstLoss.toFixed(4)} → ${r.finalLoss.toFixed(4)}, ${r.tokensPerSecond.toFixed(0)} tokens/s); merged model in ${r.out}`);
    return r;
  },
  records: (r): RunRecords => ({
    ep: r.ep,
    metrics: [
      { name: 'first_loss', value: r.firstLoss, unit: 'nats/token' },
      { name: 'final_loss', value: r.finalLoss, unit: 'nats/token' },
      { name: 'steps', value: r.steps },
      { name: 'train_tokens', value: r.trainTokens },
      { name: 'tokens_per_second', value: r.tokensPerSecond, unit: 'tokens/s' },
      { name: 'trainable_params', value: r.trainableParams },
      { name: 'seconds', value: r.seconds, unit: 's' },
      { name: 'predicted_host_bytes', value: r.predictedHostBytes, unit: 'bytes' },
    ],
    layers: r.curve.map((c) => ({ layer: c.step, phase: 'train-loss', dims: { loss: c.loss, lr: c.lr, gradNorm: c.gradNorm } })),
    artifacts: [
      { path: r.out, kind: 'model', format: 'safetensors', runtime: 'Slice Studio' },
      { path: r.adapters, kind: 'adapter', format: 'peft-lora', runtime: 'PEFT' },
    ],
  }),
});
