// The API names a bad job parameter by its path in the job's params ("slice params.seqlen 1024 exceeds…",
// "eval params.tasks[1] must be one of…"); a CLI user typed flags, so the CLI says --seqlen and --tasks.

/** Parameters that are not a flag of the same name. */
const NOT_FLAGS: Record<string, string> = { model: 'the model folder', path: 'the export path' };

const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** `message` with every "<kind> params.<key>[i]…" written as the flag (or argument) it came from. */
export function inFlagWords(message: string): string {
  return message.replace(/\b[a-z][a-z-]* params\.([A-Za-z]+)(?:\[\d+\]|\.[A-Za-z]+)*/g, (_, key: string) => NOT_FLAGS[key] ?? `--${kebab(key)}`);
}
