// Starts `slice-studio serve` as a child process (the way a user does) and returns its printed URL.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export interface ServeProcess {
  url: string;
  token: string;
  port: number;
  child: ChildProcess;
  stderr: () => string;
  stop(): Promise<void>;
}

const root = join(import.meta.dirname, '../..');

export async function startServe(dataDir: string, extra: string[] = []): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'core/transports/cli/main.ts'), 'serve', '--port', '0', '--json', '--data-dir', dataDir, ...extra], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  const first = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  const info = JSON.parse(first) as { url: string; token: string; port: number };
  return {
    ...info,
    child,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
