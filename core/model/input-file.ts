// Reading the small files a model folder, a dataset or a user hands us (config.json, index files, tokenizer
// files, slicing_config.json) without trusting them:
// - only regular files: opening a FIFO named config.json blocks until a writer appears (forever), and a
//   device file can stream without end — so the type is checked first, and the open itself does not block;
// - a size limit per kind of file, so a 50 GB "config.json" is refused instead of read into memory;
// - JSON errors say where, never what: V8's messages quote the text ("root:x:0:0"…), which would let a
//   caller read the first bytes of any file through an error message.
// Each caller passes its own error class, so the message reaches the user as that room's user error.
import { constants, fstatSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';

export type UserErrorClass = new (message: string) => Error;

export const MiB = 1024 * 1024;

// O_NONBLOCK: if the path is swapped for a FIFO between the stat and the open, the open still returns.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

function refuseSize(path: string, size: number, maxBytes: number, Err: UserErrorClass): void {
  if (size > maxBytes) throw new Err(`${basename(path)} is ${(size / MiB).toFixed(1)} MiB, more than the ${(maxBytes / MiB).toFixed(0)} MiB such a file can plausibly be (corrupt or not what it claims?)`);
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? 'unreadable';
}

/** The size of a regular file, or a user error for a missing path or anything else (folder, FIFO, device). */
export async function regularFileSize(path: string, Err: UserErrorClass): Promise<number> {
  const st = await stat(path).catch((e: unknown) => {
    throw new Err(`cannot read ${basename(path)}: ${code(e)}`);
  });
  if (!st.isFile()) throw new Err(`${basename(path)} is not a regular file (a folder, pipe or device cannot be a model file)`);
  return st.size;
}

export function regularFileSizeSync(path: string, Err: UserErrorClass): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new Err(`cannot read ${basename(path)}: ${code(e)}`);
  }
  if (!st.isFile()) throw new Err(`${basename(path)} is not a regular file (a folder, pipe or device cannot be a model file)`);
  return st.size;
}

/** The whole of a regular file of at most maxBytes, as UTF-8 text. */
export async function readInputText(path: string, maxBytes: number, Err: UserErrorClass): Promise<string> {
  refuseSize(path, await regularFileSize(path, Err), maxBytes, Err);
  let fh;
  try {
    fh = await open(path, READ_FLAGS);
  } catch (e) {
    throw new Err(`cannot read ${basename(path)}: ${code(e)}`);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new Err(`${basename(path)} is not a regular file`);
    refuseSize(path, st.size, maxBytes, Err);
    const buf = Buffer.alloc(st.size);
    let done = 0;
    while (done < st.size) {
      const { bytesRead } = await fh.read(buf, done, st.size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return buf.subarray(0, done).toString('utf8');
  } finally {
    await fh.close();
  }
}

export function readInputTextSync(path: string, maxBytes: number, Err: UserErrorClass): string {
  refuseSize(path, regularFileSizeSync(path, Err), maxBytes, Err);
  let fd: number;
  try {
    fd = openSync(path, READ_FLAGS);
  } catch (e) {
    throw new Err(`cannot read ${basename(path)}: ${code(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Err(`${basename(path)} is not a regular file`);
    refuseSize(path, st.size, maxBytes, Err);
    const buf = Buffer.alloc(st.size);
    let done = 0;
    while (done < st.size) {
      const n = readSync(fd, buf, done, st.size - done, done);
      if (n === 0) break;
      done += n;
    }
    return buf.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** JSON.parse with an error that gives the position but quotes none of the text. */
export function parseJsonText(text: string, name: string, Err: UserErrorClass): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const at = /position (\d+)/.exec((e as Error).message);
    const where = at ? ` (at character ${at[1]})` : /end of JSON/.test((e as Error).message) ? ' (it ends too early)' : '';
    throw new Err(`${name} is not valid JSON${where}`);
  }
}

/** A JSON object (not an array, null or a scalar), read from a regular file of at most maxBytes. */
export async function readJsonObject(path: string, maxBytes: number, Err: UserErrorClass, name = basename(path)): Promise<Record<string, unknown>> {
  return asObject(parseJsonText(await readInputText(path, maxBytes, Err), name, Err), name, Err);
}

export function readJsonObjectSync(path: string, maxBytes: number, Err: UserErrorClass, name = basename(path)): Record<string, unknown> {
  return asObject(parseJsonText(readInputTextSync(path, maxBytes, Err), name, Err), name, Err);
}

export function asObject(v: unknown, name: string, Err: UserErrorClass): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Err(`${name} is not a JSON object`);
  return v as Record<string, unknown>;
}

/** Size limits: far above any real file of the kind, far below what would hurt to read. */
export const LIMITS = {
  config: 4 * MiB,
  index: 64 * MiB,
  slicingConfig: 16 * MiB,
  tokenizerJson: 256 * MiB,
  tokenizerConfig: 16 * MiB,
  vocabJson: 64 * MiB,
  merges: 64 * MiB,
} as const;
