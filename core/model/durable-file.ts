// Files that are either complete or absent: written to `<file>.tmp-<pid>`, fsync'd, then renamed over
// the target; on failure the temporary file is removed, and a full disk becomes one line naming the file and
// the bytes it needed (core/files/disk-full.ts). A process killed mid-write leaves the .tmp file; the next
// run into the folder removes it (core/files/stale-temps.ts). Shared by the safetensors and GGUF writers.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { explainDiskFull } from '../files/disk-full';

/** Writes all of b, in chunks of at most 1 GiB (one write call is limited to 2 GiB). */
export async function writeAll(fh: FileHandle, b: Uint8Array): Promise<void> {
  let done = 0;
  while (done < b.byteLength) {
    const { bytesWritten } = await fh.write(b, done, Math.min(b.byteLength - done, 1 << 30));
    done += bytesWritten;
  }
}

export interface DurableWrite {
  /** Bytes the file will have (for the message when the disk fills). */
  bytes: number;
  /** What the file is, for that message ("a layer of the sliced model"). */
  what: string;
  /** What the user can do then. */
  after?: string;
}

export async function writeDurably<T>(file: string, write: (fh: FileHandle) => Promise<T>, about?: DurableWrite): Promise<T> {
  const tmp = `${file}.tmp-${process.pid}`;
  let result: T;
  try {
    const fh = await open(tmp, 'w');
    try {
      result = await write(fh);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw about ? explainDiskFull(e, file, about.bytes, about.what, about.after) : explainDiskFull(e, file, 0, 'a file');
  }
  return result;
}
