// Atomic outputs: an export is written into a temporary sibling of the target (same filesystem, so the
// final rename is atomic), then renamed into place. A killed export leaves a dot-named temp folder, never
// a half-written model under the name the user asked for. Free space is checked first, against an estimate
// of the bytes the export will write, so a large export fails in a second instead of after an hour.
import { existsSync, lstatSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { ExportError } from './errors';
import { cleanStaleTemps } from '../files/stale-temps';
import { isAppOutput, markOutput, OUTPUT_MARKER } from '../files/output-marker';

export interface AtomicOptions {
  /** Bytes the export is expected to write (checked against free space with a 5 % + 16 MiB margin). */
  estimateBytes: number;
  /** Replace an existing target (default: refuse). */
  overwrite?: boolean;
}

export { formatBytes } from '../files/disk-full';
import { formatBytes } from '../files/disk-full';

/** Free bytes on the filesystem holding `dir` (which must exist). */
export async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

/**
 * Run `write(tmp)` with a fresh temporary path next to `out`, then move it to `out`. `write` creates
 * `tmp` itself (a folder or a file). On any error the temporary is removed and the error rethrown.
 */
export async function writeAtomically<T>(out: string, opts: AtomicOptions, write: (tmp: string) => Promise<T>): Promise<T> {
  const target = resolve(out);
  const parent = dirname(target);
  if (existsSync(target) && !opts.overwrite) throw new ExportError(`${out} already exists (choose another --out, or pass --force to replace it)`);
  // --force replaces only what this app wrote: never a folder (or file, or link) someone else made.
  if (existsSync(target) && !isAppOutput(target)) {
    throw new ExportError(`${out} was not created by Slice Studio (no ${OUTPUT_MARKER} in it): it is never replaced; choose another --out`);
  }
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new ExportError(`cannot create ${parent}: ${(e as Error).message}`);
  }
  if (!statSync(parent).isDirectory()) throw new ExportError(`${parent} is not a folder`);
  // Temporaries of killed exports into this folder (their process is gone) would otherwise hold the space we need.
  cleanStaleTemps(parent);
  const margin = opts.estimateBytes * 0.05 + 16 * 2 ** 20;
  const need = opts.estimateBytes + margin;
  const free = await freeBytes(parent);
  if (free < need)
    throw new ExportError(`not enough free disk space in ${parent}: the export needs about ${formatBytes(need)} (about ${formatBytes(opts.estimateBytes)} of files plus a ${formatBytes(margin)} safety margin), ${formatBytes(free)} are free`);
  const tmp = join(parent, `.${basename(target)}.tmp-${process.pid}-${Date.now().toString(36)}`);
  let result: T;
  try {
    result = await write(tmp);
    if (lstatSync(tmp).isDirectory()) markOutput(tmp, 'export');
    if (existsSync(target)) {
      // Move the old one aside first so there is never a moment without either version.
      const old = `${tmp}.old`;
      renameSync(target, old);
      renameSync(tmp, target);
      rmSync(old, { recursive: true, force: true });
    } else renameSync(tmp, target);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return result;
}
