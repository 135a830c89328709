// Where things live at run time. Resources ship inside the repo in development and inside the app's
// resources folder when packaged (electron-builder copies `resources/` there as extraResources); user data
// (the SQLite store, sliced models, caches) lives in the OS's per-user data directory.
import { existsSync } from 'node:fs';
import { homedir, platform } from 'node:os';
import { join, resolve } from 'node:path';
import { appRoot } from './app-root';

/** The repository root in development: found upwards (this file is core/base/paths.ts, or a bundle in dist/). */
function devRoot(): string {
  return appRoot(import.meta.url);
}

/** Bundled resources: `SLICE_STUDIO_RESOURCES`, else the packaged app's resources, else the repo's `resources/`. */
export function resourcesDir(): string {
  if (process.env.SLICE_STUDIO_RESOURCES) return resolve(process.env.SLICE_STUDIO_RESOURCES);
  // In a packaged Electron app `process.resourcesPath` is set (no electron import needed to read it).
  const packaged = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (packaged && existsSync(join(packaged, 'resources'))) return join(packaged, 'resources');
  return join(devRoot(), 'resources');
}

export function resourcePath(...parts: string[]): string {
  return join(resourcesDir(), ...parts);
}

/** Per-user data directory: `SLICE_STUDIO_DATA` overrides; otherwise the OS convention. */
export function dataDir(): string {
  if (process.env.SLICE_STUDIO_DATA) return resolve(process.env.SLICE_STUDIO_DATA);
  const home = homedir();
  switch (platform()) {
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Slice Studio');
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Slice Studio');
    default:
      return join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'slice-studio');
  }
}
