import { UsageError } from '../args';
import type { Command } from '../command';
import { jobCommand } from './shared/job-command';

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;

export const synth: Command = jobCommand('synth', {
  summary: "A model folder with random weights of a real model's shapes (sharded safetensors, index, config, tokenizer)",
  params(p, ctx) {
    if (ctx.args.positionals.length) throw new UsageError(`synth takes no positional arguments (got "${ctx.args.positionals[0]}"): use --config and --out`);
    return p;
  },
  report: (r) =>
    `${r.params.toLocaleString('en-US')} parameters (${r.layers} layers, ${r.dtype}) in ${r.shards} shard${r.shards > 1 ? 's' : ''}, ${gb(r.bytes)}, ` +
    `written to ${r.out} in ${r.seconds.toFixed(1)} s (${(r.paramsPerSecond / 1e6).toFixed(0)} M params/s); tokenizer from ${r.tokenizerFrom}`,
});
