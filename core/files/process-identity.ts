// Which process owns something (a run, a lock, a temp file), in a form that survives the owner's death:
// its PID plus, where the OS tells it, the boot id and the process's start time. A PID alone is not enough —
// after a crash and a reboot (or just enough time) another process gets the same number, and a run would
// look alive forever. Linux gives both through /proc; elsewhere the PID check is all there is.
import { readFileSync } from 'node:fs';

export interface ProcessOwner {
  pid: number;
  /** `<boot id>/<start time in clock ticks since boot>` on Linux; null where the OS does not say. */
  start: string | null;
}

function bootId(): string | null {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return null;
  }
}

/** The process's start time since boot (field 22 of /proc/PID/stat, after the parenthesised name). */
function startTicks(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** The start identity of `pid` now, or null when the OS does not tell (or the process is gone). */
export function processStart(pid: number): string | null {
  const boot = bootId();
  const ticks = startTicks(pid);
  return boot && ticks ? `${boot}/${ticks}` : null;
}

let self: ProcessOwner | null = null;

/** This process. */
export function currentOwner(): ProcessOwner {
  self ??= { pid: process.pid, start: processStart(process.pid) };
  return self;
}

/**
 * Whether the process that recorded `owner` still runs: a PID that no longer exists, or exists but
 * started at another time (PID reuse, or a reboot), is dead.
 */
export function isOwnerAlive(owner: { pid: number | null; start?: string | null }): boolean {
  const { pid } = owner;
  if (pid === null || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return owner.start == null || owner.start === currentOwner().start;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it exists but belongs to another user — alive for our purpose.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (owner.start == null) return true;
  const now = processStart(pid);
  // Not knowing the start now (no /proc) is not evidence of death; a different start is.
  return now === null || now === owner.start;
}
