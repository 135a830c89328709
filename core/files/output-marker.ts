// The app's signature on the folders it creates (exports and slices). Replacing or writing into an existing
// folder is allowed only where this marker says Slice Studio made it: `--out` comes from whoever holds the
// API token, and without the check `overwrite: true` would recursively replace any folder the user can write.
import { lstatSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const OUTPUT_MARKER = '.slice-studio-output';

/** Sign a folder the app has just created (or found empty). */
export function markOutput(folder: string, what: 'export' | 'slice'): void {
  writeFileSync(join(folder, OUTPUT_MARKER), `${JSON.stringify({ app: 'slice-studio', what, created: new Date().toISOString() })}\n`);
}

/** True only when `folder` is a real folder (not a link) holding the marker as a regular file. */
export function isAppOutput(folder: string): boolean {
  try {
    return lstatSync(folder).isDirectory() && lstatSync(join(folder, OUTPUT_MARKER)).isFile();
  } catch {
    return false;
  }
}
