// Where the end-to-end tests find a Chromium: CHROMIUM_PATH if set, else the first usual name on PATH.
// Shared by the test runner (which skips the browser tests when there is none) and the e2e session.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'chrome'];

export const CHROMIUM_HINT = 'install it (Debian: apt-get install chromium) or set CHROMIUM_PATH to a Chromium or Chrome binary';

function executable(p) {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The browser binary to drive, or null when this machine has none. */
export function findChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return executable(env.CHROMIUM_PATH) ? env.CHROMIUM_PATH : null;
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) for (const name of NAMES) if (executable(join(dir, name))) return join(dir, name);
  return null;
}

/** CI must run the browser tests, so there a missing browser is a failure, not a skip. */
export function browserRequired(env = process.env) {
  return env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
}
