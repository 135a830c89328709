import { resolve } from 'node:path';
import { UsageError } from '../args';
import type { Command } from '../command';
import { runJobCommand } from './shared/follow-job';

export const fingerprint: Command = {
  name: 'fingerprint',
  usage: 'fingerprint <model-folder> [--json]',
  summary: 'sha256 of every file in a model folder, run as a job (progress, Ctrl+C cancels)',
  async run(ctx) {
    const [path] = ctx.args.positionals;
    if (!path) throw new UsageError('fingerprint needs a model folder');
    const f = await runJobCommand(ctx, 'fingerprint', { path: resolve(path) }, (r) => [`${r.digest}  (${r.files.length} files, ${r.bytes} bytes)`, ...r.files.map((x) => `${x.sha256}  ${x.name}`)].join('\n'));
    return f.code;
  },
};
