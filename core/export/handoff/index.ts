// The step after a GGUF export: hand the file to where people run models. Ollama: `ollama create` when the
// executable is on PATH; LM Studio: a copy into its models folder when that folder exists. What cannot be done
// here is answered with the exact commands to run, so the user is never left with only a file.
import { basename, dirname, join } from 'node:path';
import type { JobContext } from '../../base/job-context';
import { checkOllamaName, findOllama, ollamaCreate, OllamaError } from './ollama';
import { copyToLmStudio, LMSTUDIO_PUBLISHER, lmStudioModelsDir } from './lmstudio';
import { existsSync } from 'node:fs';

export { OllamaError, checkOllamaName, findOllama } from './ollama';
export { LmStudioError, lmStudioModelsDir } from './lmstudio';

export interface HandoffOptions {
  file: string;
  modelfile: string;
  /** Import into Ollama under this name (true: the default name). */
  ollama?: string | boolean;
  /** Copy into LM Studio's models folder. */
  lmstudio?: boolean;
  /** For tests and for users with another home or PATH. */
  home?: string;
  env?: NodeJS.ProcessEnv;
}

export type OllamaHandoff =
  | { status: 'created'; name: string; output: string[] }
  /** ollama ran and failed: its own last message and exit code, in one line. The export itself stands. */
  | { status: 'failed'; name: string; output: string[]; message: string; command: string }
  | { status: 'not-on-path' | 'not-asked'; name: string; command: string };
export type LmStudioHandoff = { status: 'copied'; path: string } | { status: 'no-folder' | 'not-asked'; path: string; command: string };

export interface HandoffResult {
  ollama: OllamaHandoff;
  lmstudio: LmStudioHandoff;
}

/** `tiny-llama-25-q8_0.gguf` → `tiny-llama-25:q8_0`-like names are the user's choice; ours is the file's stem, lowercased. */
export function defaultModelName(file: string): string {
  const stem = basename(file)
    .replace(/\.gguf$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return stem.slice(0, 80) || 'slice';
}

/** Quote a word for a POSIX shell (or cmd, where double quotes are what works) only when it needs it. */
export function shellWord(s: string): string {
  if (/^[A-Za-z0-9_./:=@%+-]+$/.test(s)) return s;
  return process.platform === 'win32' ? `"${s}"` : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function ollamaCommand(name: string, modelfile: string): string {
  return `cd ${shellWord(dirname(modelfile))} && ollama create ${shellWord(name)} -f ${shellWord(basename(modelfile))}`;
}

export function lmStudioTarget(file: string, home?: string): string {
  return join(lmStudioModelsDir(home), LMSTUDIO_PUBLISHER, defaultModelName(file), basename(file));
}

export function lmStudioCommand(file: string, home?: string): string {
  const dest = lmStudioTarget(file, home);
  return process.platform === 'win32' ? `mkdir ${shellWord(dirname(dest))} & copy ${shellWord(file)} ${shellWord(dest)}` : `mkdir -p ${shellWord(dirname(dest))} && cp ${shellWord(file)} ${shellWord(dest)}`;
}

/** What is possible on this machine right now, without doing anything (the Export step shows it). */
export function handoffOptions(file: string, modelfile: string, o: { home?: string; env?: NodeJS.ProcessEnv } = {}) {
  const name = defaultModelName(file);
  return {
    ollama: { available: findOllama(o.env) !== null, name, command: ollamaCommand(name, modelfile) },
    lmstudio: { available: existsSync(lmStudioModelsDir(o.home)), path: lmStudioTarget(file, o.home), command: lmStudioCommand(file, o.home) },
  };
}

export async function handoff(ctx: JobContext, o: HandoffOptions): Promise<HandoffResult> {
  const name = typeof o.ollama === 'string' ? checkOllamaName(o.ollama) : defaultModelName(o.file);
  const command = ollamaCommand(name, o.modelfile);
  let ollama: OllamaHandoff = { status: 'not-asked', name, command };
  if (o.ollama) {
    const exe = findOllama(o.env);
    if (exe) {
      ctx.progress({ phase: 'ollama', fraction: 0, message: `ollama create ${name}` });
      // A failing ollama must not undo the export (the file is written and recorded): it is reported instead.
      try {
        const r = await ollamaCreate(ctx, { exe, name, modelfile: o.modelfile, env: o.env });
        ollama = { status: 'created', name, output: r.output };
      } catch (e) {
        if (!(e instanceof OllamaError) || ctx.signal.aborted) throw e;
        ollama = { status: 'failed', name, output: e.output, message: e.message, command };
      }
    } else {
      ollama = { status: 'not-on-path', name, command };
      ctx.log(`ollama is not on PATH; to import the model, run: ${command}`);
    }
  }
  const target = lmStudioTarget(o.file, o.home);
  let lmstudio: LmStudioHandoff = { status: 'not-asked', path: target, command: lmStudioCommand(o.file, o.home) };
  if (o.lmstudio) {
    if (existsSync(lmStudioModelsDir(o.home))) {
      ctx.progress({ phase: 'lmstudio', fraction: 0, message: 'copying into LM Studio' });
      const r = copyToLmStudio(ctx, { file: o.file, name: defaultModelName(o.file), home: o.home });
      lmstudio = { status: 'copied', path: r.path };
    } else {
      lmstudio = { status: 'no-folder', path: target, command: lmStudioCommand(o.file, o.home) };
      ctx.log(`LM Studio's models folder ${lmStudioModelsDir(o.home)} does not exist; after installing LM Studio, run: ${lmstudio.command}`);
    }
  }
  return { ollama, lmstudio };
}
