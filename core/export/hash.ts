// sha256 of an export, streamed: a file's own digest, or for a folder the digest the fingerprint job
// computes (sha256 over the sorted "name\0bytes\0sha256\n" lines of its files), so a recorded artifact
// can be checked later with `slice-studio fingerprint`.
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { checkCancelled, type JobContext } from '../base/job-context';
import { fingerprintFolder } from '../base/folder-hash';

export async function sha256File(path: string, ctx?: JobContext): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) {
    if (ctx) checkCancelled(ctx);
    h.update(chunk as Buffer);
  }
  return h.digest('hex');
}

export async function sha256Path(path: string, ctx: JobContext): Promise<string> {
  if (statSync(path).isFile()) return sha256File(path, ctx);
  return (await fingerprintFolder(ctx, path)).digest;
}
