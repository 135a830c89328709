// Copying a file that the app will own: the copy is writable by its owner whatever the source's mode.
// copyFile keeps the source's mode, so a read-only model (a shared cache, a download marked read-only) gave
// read-only copies, and slicing again into the folder or resuming failed with EACCES for a normal user.
import { chmodSync, copyFileSync, rmSync, statSync } from 'node:fs';

/** Copies `src` to `dst`, replacing a `dst` that may be read-only, and leaves `dst` owner-writable. */
export function copyWritable(src: string, dst: string): void {
  // Unlinking needs only a writable folder; opening a read-only file for writing would fail.
  rmSync(dst, { force: true });
  copyFileSync(src, dst);
  const mode = statSync(dst).mode & 0o777;
  if ((mode & 0o600) !== 0o600) chmodSync(dst, mode | 0o600);
}
