// A small tmpfs for tests of a full disk (ENOSPC for real, not a mocked error). Mounting needs root:
// callers skip with the reason when `tmpfsSkip` is a string.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const tmpfsSkip: string | false = process.platform !== 'linux' ? 'needs Linux tmpfs' : process.getuid?.() !== 0 ? 'needs root to mount a small tmpfs (run the tests as root to cover a real full disk)' : false;

export interface Tmpfs {
  dir: string;
  /** Fills the filesystem until `leaveBytes` are left (a file named filler); returns its path. */
  fill(leaveBytes?: number): string;
  /** Deletes the filler. */
  free(): void;
  resize(bytes: number): void;
  unmount(): void;
}

export function mountTmpfs(bytes: number): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'ss-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${bytes}`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill(leaveBytes = 0) {
      const s = statfsSync(dir);
      const free = Number(s.bavail) * Number(s.bsize);
      writeFileSync(filler, '');
      const fd = openSync(filler, 'a');
      const block = Buffer.alloc(4096);
      try {
        for (let n = 0; n + 4096 <= free - leaveBytes; n += 4096) writeSync(fd, block);
      } catch {
        /* full */
      } finally {
        closeSync(fd);
      }
      return filler;
    },
    free() {
      rmSync(filler, { force: true });
    },
    resize(size: number) {
      execFileSync('mount', ['-o', `remount,size=${size}`, dir]);
    },
    unmount() {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
