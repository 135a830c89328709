// Executable entry of the CLI (`npm run cli -- …`, bin/slice-studio.mjs, dist/cli.mjs).
import { runCli } from './cli';

process.exitCode = await runCli(process.argv.slice(2));
