// `synth`: writes a Hugging Face folder of random weights with a published config's shapes (core/synth).
// Recorded as an 'export' run (the store's run kinds are a closed list; like an export it writes a model
// folder, kept as the run's artifact).
import { resolve } from 'node:path';
import { defineJob, paramsFrom, type RunRecords } from '../registry';
import { boolean, integer, literal, nonEmptyString, number, object, optional, positiveInteger, type Validator } from '../../base/validate';
import type { SynthOptions, SynthResult } from '../../synth/synth';
import { inRange } from './common';

const path: Validator<string> = { describe: 'a path', check: (v, where) => resolve(nonEmptyString.check(v, where)) };

const shape = object({
  config: path,
  out: path,
  dtype: optional(literal('bf16', 'f16')),
  shardGb: optional(number),
  layers: optional(positiveInteger),
  seed: optional(integer),
  tokenizer: optional(path),
  overwrite: optional(boolean),
  spectrum: optional(literal('llm', 'iid')),
  threads: optional(integer),
});

export const synthParams = paramsFrom('synth parameters', shape, (p, where): SynthOptions => {
  inRange(`${where}.shardGb`, p.shardGb, 0.001, 1e4, false);
  return p;
});

export const synthJob = defineJob({
  kind: 'synth',
  runKind: 'export',
  summary: "A Hugging Face folder of random weights with a published config's shapes (sharded bf16/f16 safetensors)",
  cli: {
    positional: null,
    flags: {
      config: { value: '<config.json>', required: 'synth needs --config <config.json> (a published Hugging Face config)' },
      out: { value: '<folder>', required: 'synth needs --out <folder>' },
      shardGb: { min: 0.001, max: 1e4 },
      layers: { min: 1, max: 1 << 16 },
      seed: { min: -(2 ** 31), max: 2 ** 31 - 1 },
      tokenizer: { value: '<folder>' },
      overwrite: { flag: 'force' },
      threads: { min: 0, max: 1024 },
    },
  },
  params: synthParams,
  describe: (p) => `synth ${p.config.split(/[\\/]/).pop()}${p.layers ? ` (${p.layers} layers)` : ''}`,
  outputs: (p) => [p.out],
  async run(ctx, p): Promise<SynthResult> {
    const { synthModel } = await import('../../synth/synth');
    const r = await synthModel(ctx, p);
    ctx.log(`wrote ${r.params.toLocaleString('en-US')} parameters (${r.shards} shard${r.shards > 1 ? 's' : ''}) to ${r.out} in ${r.seconds.toFixed(1)} s`);
    return r;
  },
  records: (r): RunRecords => ({
    metrics: [
      { name: 'params', value: r.params },
      { name: 'bytes', value: r.bytes, unit: 'B' },
      { name: 'seconds', value: r.seconds, unit: 's' },
      { name: 'params_per_second', value: r.paramsPerSecond, unit: 'params/s' },
    ],
    artifacts: [{ path: r.out, kind: 'model', format: `safetensors:${r.dtype}`, bytes: r.bytes, runtime: 'Slice Studio, transformers' }],
  }),
});
