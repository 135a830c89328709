// Temporary files and folders that a killed writer left behind. Every durable writer names its temporary
// after its process (`model.gguf.tmp-<pid>`, `model-00003-of-00006.safetensors.tmp-<pid>`,
// `.<export>.tmp-<pid>-<stamp>` and its `.old`), so the next run into the same folder can tell a leftover
// of a dead process from the live work of another one and remove only the former.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isOwnerAlive } from './process-identity';

const TEMP = /\.tmp-(\d+)(?:-[0-9a-z]+)?(?:\.old)?$/;

/** The PID a temporary name carries, or null when the name is not one of ours. */
export function tempOwnerPid(name: string): number | null {
  const m = TEMP.exec(name);
  return m ? Number(m[1]) : null;
}

/** Removes temporaries in `dir` whose process is gone; returns their names. A missing folder has none. */
export function cleanStaleTemps(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = tempOwnerPid(name);
    if (pid === null || isOwnerAlive({ pid })) continue;
    rmSync(join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
