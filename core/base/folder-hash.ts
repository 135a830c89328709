// A sha256 of every file in a folder, streamed so a 140 GB model never sits in memory. The fingerprint job
// and the export's artifact hash both use it, so it sits on the ground floor below jobs/ and export/.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { checkCancelled, CancelledError, type JobContext } from './job-context';

export class FingerprintError extends Error {
  override name = 'FingerprintError';
}

export interface FileDigest {
  /** Path relative to the folder, with forward slashes. */
  name: string;
  bytes: number;
  sha256: string;
}

export interface Fingerprint {
  algorithm: 'sha256';
  /** sha256 over the sorted "name\0bytes\0sha256\n" lines: one value for the whole folder. */
  digest: string;
  bytes: number;
  files: FileDigest[];
}

/** Regular files under `folder`, sorted; dot-files (caches, lock files) are not part of a model. */
async function listFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(p)).isFile())) out.push(p);
    }
  };
  await walk(folder);
  return out;
}

/** `only` keeps the files (by their name relative to the folder) that make up the artifact — a slice's
 * weights, say, without its run-specific metadata; the digest is the same scheme either way. */
export async function fingerprintFolder(ctx: JobContext, folder: string, only?: (name: string) => boolean): Promise<Fingerprint> {
  const info = await stat(folder).catch(() => null);
  if (!info) throw new FingerprintError(`no such folder: ${folder}`);
  if (!info.isDirectory()) throw new FingerprintError(`not a folder: ${folder}`);
  const paths = (await listFiles(folder)).filter((p) => !only || only(relative(folder, p).split(sep).join('/')));
  if (paths.length === 0) throw new FingerprintError(`folder is empty: ${folder}`);
  const sizes = await Promise.all(paths.map(async (p) => (await stat(p)).size));
  const total = sizes.reduce((a, b) => a + b, 0);
  const started = performance.now();
  let done = 0;
  let lastReport = 0;
  const files: FileDigest[] = [];
  for (const [i, p] of paths.entries()) {
    checkCancelled(ctx);
    const name = relative(folder, p).split(sep).join('/');
    const hash = createHash('sha256');
    const stream = createReadStream(p, { highWaterMark: 1 << 20 });
    try {
      for await (const chunk of stream) {
        // Cancel between chunks so even one huge shard stops within a megabyte of reading.
        if (ctx.signal.aborted) throw new CancelledError();
        hash.update(chunk as Buffer);
        done += (chunk as Buffer).length;
        const now = performance.now();
        if (now - lastReport > 100) {
          lastReport = now;
          const elapsed = (now - started) / 1000;
          // A rate from the first few milliseconds (small files, cold cache) is noise: no ETA before 1 s.
          const rate = elapsed >= 1 ? done / elapsed : 0;
          ctx.progress({
            phase: 'hash',
            fraction: total ? done / total : 1,
            etaSeconds: rate > 0 ? (total - done) / rate : undefined,
            message: name,
            data: { file: i, files: paths.length, bytes: done, totalBytes: total },
          });
        }
      }
    } finally {
      stream.destroy();
    }
    files.push({ name, bytes: sizes[i], sha256: hash.digest('hex') });
  }
  const digest = createHash('sha256');
  for (const f of files) digest.update(`${f.name}\0${f.bytes}\0${f.sha256}\n`);
  ctx.progress({ phase: 'hash', fraction: 1, etaSeconds: 0, message: 'done' });
  ctx.log(`hashed ${files.length} files, ${total} bytes`);
  return { algorithm: 'sha256', digest: digest.digest('hex'), bytes: total, files };
}
