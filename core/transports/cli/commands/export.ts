import { basename, join, resolve } from 'node:path';
import { dataDir } from '../../../base/paths';
import type { ExportJobResult } from '../../../jobs/kinds/export';
import { stringFlag, UsageError } from '../args';
import type { Command } from '../command';
import { runJobFromCli } from '../run-job';
import { cliCommand } from '../invocation';

const FORMATS = ['onnx', 'gguf', 'safetensors'];
const DTYPES = ['f32', 'f16', 'q8_0', 'q4_0'];

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

export const exportCommand: Command = {
  name: 'export',
  usage: 'export <model-or-sliced-folder> --format onnx|gguf|safetensors [--dtype f32|f16|q8_0|q4_0] [--out <path>] [--force] [--json]',
  summary: 'Export a dense or sliced model for local runtimes (ONNX with KV cache, GGUF, documented safetensors)',
  flags: { values: ['format', 'dtype', 'out'], booleans: ['force'] },
  async run(ctx) {
    const [model, extra] = ctx.args.positionals;
    if (!model) throw new UsageError('export needs a model folder (dense or sliced)');
    if (extra) throw new UsageError(`export takes one model folder, got also "${extra}"`);
    const format = stringFlag(ctx.args, 'format');
    if (!format) throw new UsageError(`export needs --format (${FORMATS.join(', ')})`);
    if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    const dtype = stringFlag(ctx.args, 'dtype');
    if (dtype !== undefined && !DTYPES.includes(dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}`);
    // Without --out, into the data folder (as a slice without --out goes to <data folder>/slices).
    const out =
      stringFlag(ctx.args, 'out') ??
      join(dataDir(), 'exports', `${basename(resolve(model))}-${format}${dtype ? `-${dtype}` : ''}${format === 'gguf' ? '.gguf' : ''}`);
    const params = { model: resolve(model), format, out: resolve(out), ...(dtype ? { dtype } : {}), ...(ctx.args.flags.has('force') ? { overwrite: true } : {}) };
    const { code, result } = await runJobFromCli(ctx, 'export', params);
    if (code === 0 && !ctx.json) {
      const r = result as ExportJobResult;
      ctx.out(
        [
          `${r.format} (${r.dtype}) written to ${r.path}: ${mib(r.bytes)} in ${r.seconds.toFixed(1)} s`,
          ...r.files.map((f) => `  ${f.name.padEnd(28)} ${mib(f.bytes).padStart(11)}`),
          `sha256 ${r.sha256}`,
          `loads in: ${r.runtime}`,
          `check it: ${cliCommand()} verify-export ${r.path}`,
        ].join('\n'),
      );
    }
    return code;
  },
};
