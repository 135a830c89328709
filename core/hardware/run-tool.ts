// Run a vendor tool and return its stdout, or null if it is missing, fails or hangs. Detection must never
// throw because a tool is absent or a driver is broken: no tool simply means no GPUs of that kind.
import { execFile } from 'node:child_process';

export function runTool(cmd: string, args: string[], timeoutMs = 8000): Promise<string | null> {
  return new Promise((resolve) => {
    try {
      execFile(cmd, args, { timeout: timeoutMs, windowsHide: true, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
        resolve(err ? null : String(stdout));
      });
    } catch {
      resolve(null);
    }
  });
}
