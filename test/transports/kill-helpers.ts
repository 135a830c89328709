// Killing a CLI child with -9 at a chosen moment, and what such a kill may leave behind: shared by the
// cli-kill tests and the kill benchmark (bench/kill.ts), so both judge kills the same way.
import { existsSync, readdirSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';

/** SIGKILLs `child` `delayMs` after `ready()` first holds (polled every 25 ms); `onArmed` gets the moment it held. */
export function killWhen(child: ChildProcess, ready: () => boolean, delayMs: number, onArmed?: (at: number) => void): void {
  const poll = setInterval(() => {
    if (child.exitCode !== null) return clearInterval(poll);
    if (!ready()) return;
    clearInterval(poll);
    onArmed?.(performance.now());
    const timer = setTimeout(() => child.kill('SIGKILL'), delayMs);
    child.once('exit', () => clearTimeout(timer)); // a child that ends first must not keep its parent waiting
  }, 25);
}

/** Temporaries (`x.tmp`, `x.tmp-PID…`) anywhere under `folder`. */
export const temps = (folder: string): string[] => (existsSync(folder) ? readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((f) => /\.tmp(-|$)/.test(f)) : []);

/** A seeded uniform [0, 1) generator (an LCG: the same seed gives the same kill points on every machine). */
export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1103515245 + 12345) >>> 0), s / 2 ** 32);
}
