// Hands a URL to the desktop's default browser (`npm start`'s fallback when Electron's binary is missing).
import { spawn } from 'node:child_process';

/** The opener command for this platform, or null where there is no desktop to open a browser on. */
export function urlOpener(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string[] | null {
  if (platform === 'darwin') return ['open'];
  if (platform === 'win32') return ['cmd', '/c', 'start', '""'];
  // Without a display server xdg-open would fall back to a text browser in this terminal.
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return null;
  return ['xdg-open'];
}

/** Resolves true once the opener has started (some block until the browser closes, so its exit is not awaited),
 *  false when there is none or it cannot start. */
export function openUrl(url: string): Promise<boolean> {
  const opener = urlOpener();
  if (!opener) return Promise.resolve(false);
  return new Promise((resolve) => {
    const child = spawn(opener[0]!, [...opener.slice(1), url], { stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => resolve(true));
    child.unref();
  });
}
