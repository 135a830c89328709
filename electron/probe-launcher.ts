// The provider probe's child in the desktop app: an Electron utility process (a Node-enabled child that
// needs no ELECTRON_RUN_AS_NODE, which the RunAsNode fuse turns off). Type-only Electron imports, so it
// is tested in plain Node with Node's own fork, which has the same shape.
import type { ForkOptions, UtilityProcess } from 'electron';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProbeChild, ProbeLauncher } from '../core/hardware/provider-probe';

type Forked = Pick<UtilityProcess, 'stdout' | 'stderr' | 'kill'> & {
  on(event: 'exit', listener: (code: number | null) => void): unknown;
};
export type Fork = (modulePath: string, args: string[], options: ForkOptions) => Forked;

/** A launcher that writes the probe module to a private temp folder once, then forks it per probe. */
export function utilityProbeLauncher(fork: Fork, dir: string = mkdtempSync(join(tmpdir(), 'slice-studio-probe-'))): ProbeLauncher {
  const written = new Map<string, string>();
  return (source, args): ProbeChild => {
    let file = written.get(source);
    if (!file) {
      file = join(dir, `probe-${written.size}.mjs`);
      writeFileSync(file, source);
      written.set(source, file);
    }
    const child = fork(file, args, { stdio: 'pipe', serviceName: 'Slice Studio provider probe' });
    // Report the exit only once the output is drained: the verdict is the last stdout line.
    const streams = [child.stdout, child.stderr].filter((s) => s !== null);
    let open = streams.length;
    let exited: number | null | undefined;
    const exitListeners: ((code: number | null, signal: string | null) => void)[] = [];
    const maybeDone = () => {
      if (exited !== undefined && open === 0) for (const l of exitListeners.splice(0)) l(exited, null);
    };
    for (const s of streams) s.on('end', () => (open--, maybeDone()));
    child.on('exit', (code) => ((exited = code), maybeDone()));
    return {
      stdout: child.stdout,
      stderr: child.stderr,
      kill: () => void child.kill(),
      onExit: (l) => exitListeners.push(l),
      // A utility process reports a failed start as an exit; there is no separate error to listen for.
      onError: () => {},
    };
  };
}
