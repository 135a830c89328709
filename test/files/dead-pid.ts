// The PID of a process that has exited: what a killed writer leaves in its temporaries and locks.
import { spawnSync } from 'node:child_process';

export function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}
