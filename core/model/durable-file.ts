// Files that are either complete or absent: written to `<file>.tmp-<pid>`, fsync'd, then renamed over
// the target; on failure the temporary file is removed. (A process killed mid-write leaves the .tmp file;
// the sliced-model writer clears those on resume.) Shared by the safetensors and GGUF writers.
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';

/** Writes all of b, in chunks of at most 1 GiB (one write call is limited to 2 GiB). */
export async function writeAll(fh: FileHandle, b: Uint8Array): Promise<void> {
  let done = 0;
  while (done < b.byteLength) {
    const { bytesWritten } = await fh.write(b, done, Math.min(b.byteLength - done, 1 << 30));
    done += bytesWritten;
  }
}

export async function writeDurably<T>(file: string, write: (fh: FileHandle) => Promise<T>): Promise<T> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w');
  let result: T;
  try {
    result = await write(fh);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => {});
    throw e;
  }
  await fh.close();
  await rename(tmp, file);
  return result;
}
