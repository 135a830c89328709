import { resolve } from 'node:path';
import type { Fingerprint } from '../../../base/folder-hash';
import { UsageError } from '../args';
import type { Command } from '../command';
import { runJobFromCli } from '../run-job';

export const fingerprint: Command = {
  name: 'fingerprint',
  usage: 'fingerprint <model-folder> [--json]',
  summary: 'sha256 of every file in a model folder, run as a job (progress, Ctrl+C cancels)',
  async run(ctx) {
    const [path] = ctx.args.positionals;
    if (!path) throw new UsageError('fingerprint needs a model folder');
    const { code, result } = await runJobFromCli(ctx, 'fingerprint', { path: resolve(path) });
    if (code === 0 && !ctx.json) {
      const f = result as Fingerprint;
      ctx.out([`${f.digest}  (${f.files.length} files, ${f.bytes} bytes)`, ...f.files.map((x) => `${x.sha256}  ${x.name}`)].join('\n'));
    }
    return code;
  },
};
