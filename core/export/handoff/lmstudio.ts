// LM Studio finds models under `~/.lmstudio/models/<publisher>/<name>/<file>.gguf`. We copy there only when that
// models folder already exists (LM Studio is installed and has been opened); we never create LM Studio's folders.
import { copyFileSync, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { checkCancelled, type JobContext } from '../../base/job-context';

export class LmStudioError extends Error {
  override name = 'LmStudioError';
}

/** The publisher folder our exports go under. */
export const LMSTUDIO_PUBLISHER = 'slice-studio';

export function lmStudioModelsDir(home: string = homedir()): string {
  return join(home, '.lmstudio', 'models');
}

const SAFE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export interface LmStudioCopyResult {
  path: string;
  bytes: number;
}

/** Copy `file` to `<models>/<publisher>/<name>/<file name>` (temp + rename, so LM Studio never lists half a file). */
export function copyToLmStudio(ctx: JobContext, o: { file: string; name: string; publisher?: string; home?: string }): LmStudioCopyResult {
  const models = lmStudioModelsDir(o.home);
  if (!existsSync(models)) throw new LmStudioError(`LM Studio's models folder ${models} does not exist: install and open LM Studio first, or copy ${o.file} by hand`);
  const publisher = o.publisher ?? LMSTUDIO_PUBLISHER;
  for (const [what, v] of [
    ['name', o.name],
    ['publisher', publisher],
  ] as const)
    if (!SAFE.test(v)) throw new LmStudioError(`LM Studio ${what} "${v.slice(0, 80)}" must be letters, digits, '.', '_' or '-'`);
  checkCancelled(ctx);
  const dir = join(models, publisher, o.name);
  mkdirSync(dir, { recursive: true });
  const dest = join(dir, basename(o.file));
  const tmp = `${dest}.tmp-${process.pid}`;
  ctx.log(`copying ${basename(o.file)} to ${dir}`);
  copyFileSync(o.file, tmp);
  renameSync(tmp, dest);
  return { path: dest, bytes: statSync(dest).size };
}
