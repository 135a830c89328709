// Newest modification time under some files/folders: how the test runner tells a build output (the renderer's,
// the CLI bundle) from one older than its sources.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function newest(paths) {
  let t = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const s = statSync(p);
    if (s.isDirectory()) for (const n of readdirSync(p)) visit(join(p, n));
    else t = Math.max(t, s.mtimeMs);
  };
  paths.forEach(visit);
  return t;
}

/** The CLI bundle's sources: everything esbuild folds into dist/cli.mjs and dist/job-worker.mjs. */
export const CLI_SOURCES = ['core', 'package.json', 'scripts/build.mjs'];
export const CLI_BUNDLE = 'dist/cli.mjs';

/** Whether dist/cli.mjs (under `root`) exists and is at least as new as every source it bundles. */
export function cliBundleFresh(root) {
  const bundle = join(root, CLI_BUNDLE);
  return existsSync(bundle) && statSync(bundle).mtimeMs >= newest(CLI_SOURCES.map((p) => join(root, p)));
}
