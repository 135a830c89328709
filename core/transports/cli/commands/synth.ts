import { resolve } from 'node:path';
import { intFlag, stringFlag, UsageError } from '../args';
import type { Command } from '../command';
import { runJobCommand } from './shared/follow-job';
import { choiceFlag, numberFlag } from './shared/flags';

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;

export const synth: Command = {
  name: 'synth',
  usage: 'synth --config <config.json> --out <folder> [--dtype bf16|f16] [--shard-gb 5] [--layers N] [--seed S] [--tokenizer <folder>] [--force] [--json]',
  summary: "A model folder with random weights of a real model's shapes (sharded safetensors, index, config, tokenizer)",
  flags: { values: ['config', 'out', 'dtype', 'shard-gb', 'layers', 'seed', 'tokenizer'], booleans: ['force'] },
  async run(ctx) {
    if (ctx.args.positionals.length) throw new UsageError(`synth takes no positional arguments (got "${ctx.args.positionals[0]}"): use --config and --out`);
    const config = stringFlag(ctx.args, 'config');
    if (!config) throw new UsageError('synth needs --config <config.json> (a published Hugging Face config)');
    const out = stringFlag(ctx.args, 'out');
    if (!out) throw new UsageError('synth needs --out <folder>');
    const tokenizer = stringFlag(ctx.args, 'tokenizer');
    const params = {
      config: resolve(config),
      out: resolve(out),
      dtype: choiceFlag(ctx, 'dtype', ['bf16', 'f16'] as const),
      shardGb: numberFlag(ctx, 'shard-gb', 0.001, 1e4),
      layers: intFlag(ctx.args, 'layers', 1, 1 << 16),
      seed: intFlag(ctx.args, 'seed', -(2 ** 31), 2 ** 31 - 1),
      ...(tokenizer ? { tokenizer: resolve(tokenizer) } : {}),
      ...(ctx.args.flags.has('force') ? { overwrite: true } : {}),
    };
    const f = await runJobCommand(
      ctx,
      'synth',
      params,
      (r) =>
        `${r.params.toLocaleString('en-US')} parameters (${r.layers} layers, ${r.dtype}) in ${r.shards} shard${r.shards > 1 ? 's' : ''}, ${gb(r.bytes)}, ` +
        `written to ${r.out} in ${r.seconds.toFixed(1)} s (${(r.paramsPerSecond / 1e6).toFixed(0)} M params/s); tokenizer from ${r.tokenizerFrom}`,
    );
    return f.code;
  },
};
