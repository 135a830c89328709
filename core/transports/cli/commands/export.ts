import { join, resolve } from 'node:path';
import { dataDir } from '../../../base/paths';
import type { ExportJobResult } from '../../../jobs/kinds/export';
import type { GgufExportResult } from '../../../export/gguf/index';
import { stringFlag, UsageError } from '../args';
import type { Command } from '../command';
import { runJobFromCli } from '../run-job';
import { cliCommand } from '../invocation';

import { DTYPES, exportName, FORMATS } from '../../../export/formats';

const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;

/** For a GGUF: its bits per weight, tensors per type, and which fell back to another type (and why). */
function ggufTypeLines(details: unknown): string[] {
  const d = details as Partial<GgufExportResult> | null;
  if (!d || typeof d.bitsPerWeight !== 'number' || !d.tensorTypes) return [];
  const types = Object.entries(d.tensorTypes).map(([t, n]) => `${t}×${n}`).join(', ');
  const lines = [`${d.bitsPerWeight.toFixed(2)} bits per weight (all tensors); tensor types: ${types}`];
  const groups = new Map<string, number>();
  for (const f of d.fallbacks ?? []) groups.set(`${f.wanted}→${f.type} (rows of ${f.rowLength})`, (groups.get(`${f.wanted}→${f.type} (rows of ${f.rowLength})`) ?? 0) + 1);
  if (groups.size) lines.push(`fell back (rows not a multiple of the block, as llama.cpp's quantizer does): ${[...groups].map(([k, n]) => `${n} × ${k}`).join('; ')}`);
  return lines;
}

export const exportCommand: Command = {
  name: 'export',
  usage: `export <model-or-sliced-folder> --format ${FORMATS.join('|')} [--dtype ${DTYPES.join('|')}] [--out <path>] [--force] [--json]`,
  summary: 'Export a dense or sliced model for local runtimes (ONNX with KV cache, GGUF, documented safetensors)',
  flags: { values: ['format', 'dtype', 'out'], booleans: ['force'] },
  async run(ctx) {
    const [model, extra] = ctx.args.positionals;
    if (!model) throw new UsageError('export needs a model folder (dense or sliced)');
    if (extra) throw new UsageError(`export takes one model folder, got also "${extra}"`);
    const format = stringFlag(ctx.args, 'format');
    if (!format) throw new UsageError(`export needs --format (${FORMATS.join(', ')})`);
    if (!(FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
    const dtype = stringFlag(ctx.args, 'dtype');
    if (dtype !== undefined && !(DTYPES as readonly string[]).includes(dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}`);
    // Without --out, into the data folder (as a slice without --out goes to <data folder>/slices).
    const out = stringFlag(ctx.args, 'out') ?? join(dataDir(), 'exports', exportName(model, format, dtype));
    const params = { model: resolve(model), format, out: resolve(out), ...(dtype ? { dtype } : {}), ...(ctx.args.flags.has('force') ? { overwrite: true } : {}) };
    const { code, result } = await runJobFromCli(ctx, 'export', params);
    if (code === 0 && !ctx.json) {
      const r = result as ExportJobResult;
      ctx.out(
        [
          `${r.format} (${r.dtype}) written to ${r.path}: ${mib(r.bytes)} in ${r.seconds.toFixed(1)} s`,
          ...r.files.map((f) => `  ${f.name.padEnd(28)} ${mib(f.bytes).padStart(11)}`),
          ...ggufTypeLines(r.details),
          `sha256 ${r.sha256}`,
          `loads in: ${r.runtime}`,
          `check it: ${cliCommand()} verify-export ${r.path}`,
        ].join('\n'),
      );
    }
    return code;
  },
};
