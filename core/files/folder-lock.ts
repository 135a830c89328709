// An exclusive claim on an output path (a slice folder with its checkpoint, an export file or folder) for
// the life of a job. The lock is a sibling file `.<name>.lock` holding the owner's PID, start identity and
// run id, created atomically (written under a private name, then hard-linked into place, which fails if a
// lock exists), so a second job — in this process or another — gets "in use by run N" instead of two jobs
// silently writing one folder. A lock whose process is gone (kill -9, a crash, a reboot) is stale and taken over.
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { currentOwner, isOwnerAlive } from './process-identity';

/** The output cannot be claimed (its folder is not writable, or the disk is full). */
export class FolderLockError extends Error {
  override name = 'FolderLockError';
}

/** Another live job holds the output. */
export class FolderInUseError extends FolderLockError {
  override name = 'FolderInUseError';
}

interface LockJson {
  pid: number;
  start: string | null;
  runId: number | null;
  token: string;
}

export interface FolderLock {
  readonly path: string;
  readonly file: string;
  release(): void;
}

/** The lock file that guards `target`. */
export function lockFileFor(target: string): string {
  const t = resolve(target);
  return join(dirname(t), `.${basename(t)}.lock`);
}

function readLock(file: string): LockJson | null {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockJson>;
    return typeof j.pid === 'number' && typeof j.token === 'string' ? { pid: j.pid, start: j.start ?? null, runId: j.runId ?? null, token: j.token } : null;
  } catch {
    return null;
  }
}

const holder = (l: LockJson) => `${l.runId !== null ? `run ${l.runId}` : 'another job'} (process ${l.pid})`;

/** Claims `target` for run `runId`; throws FolderInUseError naming the holder when a live job has it. */
export function lockFolder(target: string, runId: number | null): FolderLock {
  const path = resolve(target);
  const file = lockFileFor(path);
  const me: LockJson = { ...currentOwner(), runId, token: randomBytes(12).toString('hex') };
  // Named like every temporary of ours, so a writer killed right here leaves nothing that cleanStaleTemps misses.
  const mine = `${file}.tmp-${me.pid}-${me.token}`;
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(mine, JSON.stringify(me));
  } catch (e) {
    // A folder we cannot write (permissions, a full disk) fails here, before any work, in one line.
    throw new FolderLockError(`cannot write to ${dirname(file)} (for ${path}): ${(e as Error).message}`);
  }
  try {
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        linkSync(mine, file);
        return {
          path,
          file,
          release() {
            if (readLock(file)?.token === me.token) rmSync(file, { force: true });
          },
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const other = readLock(file);
      if (other && isOwnerAlive(other)) throw new FolderInUseError(`${path} is in use by ${holder(other)}: wait for it, cancel it, or choose another output`);
      // Stale (or unreadable: its writer died before filling it). Move it aside under a private name and look
      // again, so two jobs that both found it stale cannot both take the folder.
      const aside = `${file}.stale-${me.token}`;
      try {
        renameSync(file, aside);
      } catch {
        continue;
      }
      const taken = readLock(aside);
      if (taken && other && taken.token !== other.token && isOwnerAlive(taken)) {
        // We moved a fresh lock another job had just made: put it back and give way.
        try {
          linkSync(aside, file);
        } finally {
          rmSync(aside, { force: true });
        }
        throw new FolderInUseError(`${path} is in use by ${holder(taken)}: wait for it, cancel it, or choose another output`);
      }
      rmSync(aside, { force: true });
    }
    throw new FolderInUseError(`${path} is in use: its lock ${file} keeps changing`);
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Throws FolderInUseError when a live job holds `target` (it is being written): reading a sliced folder
 * while a slice or an export still writes it would see missing shards. Takes no lock itself.
 */
export function assertNotBeingWritten(target: string): void {
  const path = resolve(target);
  const held = readLock(lockFileFor(path));
  if (held && isOwnerAlive(held)) throw new FolderInUseError(`${path} is still being written by ${holder(held)}: wait for it to finish`);
}
