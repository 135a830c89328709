#!/usr/bin/env node
// The package's `slice-studio` command. Runs the built CLI (dist/cli.mjs, from `npm run build`); in a
// checkout without a build it runs the TypeScript sources through tsx instead.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const built = fileURLToPath(new URL('../dist/cli.mjs', import.meta.url));
if (existsSync(built)) {
  await import(pathToFileURL(built).href);
} else {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const main = fileURLToPath(new URL('../core/transports/cli/main.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', tsx, main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exitCode = r.status ?? 1;
}
