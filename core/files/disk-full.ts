// A full disk (or quota) while writing: one line that names the file and how much room the write needed,
// instead of Node's bare "ENOSPC: no space left on device, write". Callers remove their partial file first.
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';

export class DiskFullError extends Error {
  override name = 'DiskFullError';
}

export function isDiskFull(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export const formatBytes = (n: number): string => (n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${Math.ceil(n / 1024)} KiB`);

/** Free bytes for this user on the filesystem holding `path` (its folder if it does not exist), or null. */
export function freeBytesAt(path: string): number | null {
  for (const p of [path, dirname(path)]) {
    try {
      const s = statfsSync(p);
      return Number(s.bavail) * Number(s.bsize);
    } catch {
      /* try the folder */
    }
  }
  return null;
}

/**
 * `e` as a DiskFullError when it is one ("disk full writing <what> to <path>: it needs 5.9 MiB, 1.2 MiB are
 * free; free some space and resume"), else `e` unchanged.
 */
export function explainDiskFull(e: unknown, path: string, needBytes: number, what = 'a file', after = 'free some space and run it again'): unknown {
  if (!isDiskFull(e)) return e;
  const free = freeBytesAt(path);
  const freeText = free === null ? '' : `, ${formatBytes(free)} ${free === 1 ? 'is' : 'are'} free`;
  const need = needBytes > 0 ? `: it needs ${formatBytes(needBytes)}${freeText}` : freeText ? `: ${freeText.slice(2)}` : '';
  return new DiskFullError(`disk full while writing ${what} to ${path}${need}; ${after}`);
}
