// A GGUF export writes two files, `<name>.gguf` and `<name>.Modelfile`, possibly into a folder someone else owns:
// it may replace them only where they are its own (a GGUF file; a Modelfile it wrote), never another file.
import { closeSync, existsSync, lstatSync, openSync, readSync } from 'node:fs';
import { GgufExportError } from './errors';
import { MODELFILE_SIGNATURE, modelfilePath } from './modelfile';

function startsWith(path: string, prefix: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(prefix.length);
    return readSync(fd, b, 0, b.length, 0) === b.length && b.toString('latin1') === prefix;
  } finally {
    closeSync(fd);
  }
}

/** A regular file (not a link) that starts with the ASCII magic `GGUF`. */
export function isGgufFile(path: string): boolean {
  return lstatSync(path).isFile() && startsWith(path, 'GGUF');
}

/** Refuse before writing when `file` or its Modelfile exists and is not this app's. */
export function assertReplaceable(file: string): void {
  if (existsSync(file) && !isGgufFile(file)) throw new GgufExportError(`${file} is not a GGUF file: it is never replaced; choose another --out`);
  const modelfile = modelfilePath(file);
  if (existsSync(modelfile) && !(lstatSync(modelfile).isFile() && startsWith(modelfile, MODELFILE_SIGNATURE))) throw new GgufExportError(`${modelfile} was not written by Slice Studio: it is never replaced; choose another --out`);
}
