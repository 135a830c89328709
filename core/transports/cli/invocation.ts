// How the user started this CLI, so that the commands it suggests can be pasted back as they are: a clone
// has no `slice-studio` on PATH and runs it as `npm run cli --` (npm names the script in npm_lifecycle_event).

/** npm scripts of this package that run the CLI (package.json: cli, demo, serve). */
const CLI_SCRIPTS = new Set(['cli', 'demo', 'serve']);

/** The command prefix to suggest: `npm run cli --` from a clone's npm script, else the installed `slice-studio`. */
export function cliCommand(env: NodeJS.ProcessEnv = process.env): string {
  const fromScript = env.npm_package_name === 'slice-studio' && CLI_SCRIPTS.has(env.npm_lifecycle_event ?? '');
  return fromScript ? 'npm run cli --' : 'slice-studio';
}
