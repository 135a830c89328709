// `ollama create <name> -f <x>.Modelfile`, run when an `ollama` executable is on PATH. Its output is streamed to
// the job's log line by line (ollama redraws its progress with \r, so carriage returns end lines too); a non-zero
// exit becomes one line: ollama's own last message and the exit code.
import { spawn } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { checkCancelled, type JobContext } from '../../base/job-context';

/** ollama ran and failed, or its name is not one ollama accepts: a user error (one line). */
export class OllamaError extends Error {
  override name = 'OllamaError';
  constructor(
    message: string,
    /** What ollama printed before it failed. */
    readonly output: string[] = [],
  ) {
    super(message);
  }
}

// Ollama's own rule for model names: [namespace/]name[:tag], letters, digits, `_`, `-`, `.`.
const NAME = /^(?:[A-Za-z0-9][A-Za-z0-9._-]{0,79}\/)?[A-Za-z0-9][A-Za-z0-9._-]{0,79}(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,79})?$/;

export function checkOllamaName(name: string): string {
  if (!NAME.test(name)) throw new OllamaError(`"${name.slice(0, 80)}" is not an Ollama model name: letters, digits, '.', '_' and '-', optionally namespace/ before and :tag after (e.g. tiny-llama-25:q8_0)`);
  return name;
}

/** The `ollama` executable on PATH (PATHEXT on Windows), or null. */
export function findOllama(env: NodeJS.ProcessEnv = process.env): string | null {
  const exts = process.platform === 'win32' ? (env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';') : [''];
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    for (const ext of exts) {
      const p = join(dir, `ollama${ext}`);
      try {
        if (!statSync(p).isFile()) continue;
        accessSync(p, constants.X_OK);
        return p;
      } catch {
        // not here
      }
    }
  }
  return null;
}

export interface OllamaCreateResult {
  name: string;
  command: string[];
  /** ollama's output, its lines in order (progress redraws included once each). */
  output: string[];
}

export function ollamaCreate(ctx: JobContext, o: { exe: string; name: string; modelfile: string; env?: NodeJS.ProcessEnv }): Promise<OllamaCreateResult> {
  checkCancelled(ctx);
  const args = ['create', checkOllamaName(o.name), '-f', o.modelfile];
  const output: string[] = [];
  return new Promise((resolvePromise, reject) => {
    // Run in the Modelfile's folder: its FROM is relative (./x.gguf).
    const child = spawn(o.exe, args, { cwd: dirname(o.modelfile), env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], signal: ctx.signal });
    let pending = '';
    const take = (chunk: Buffer) => {
      const parts = (pending + chunk.toString('utf8')).split(/\r\n|\r|\n/);
      pending = parts.pop() ?? '';
      for (const line of parts.map((l) => l.trim()).filter(Boolean)) {
        if (output[output.length - 1] === line) continue; // a redraw of the same progress line
        output.push(line);
        ctx.log(`ollama: ${line}`);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => {
      if (ctx.signal.aborted) return reject(new OllamaError('ollama create was cancelled'));
      reject(new OllamaError(`could not run ${o.exe}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      if (pending.trim()) take(Buffer.from('\n'));
      if (ctx.signal.aborted) return reject(new OllamaError('ollama create was cancelled'));
      if (code === 0) return resolvePromise({ name: o.name, command: ['ollama', ...args], output });
      const last = output[output.length - 1] ?? '(no output)';
      reject(new OllamaError(`ollama create ${o.name} failed (exit code ${code ?? signal}): ${last}`, output));
    });
  });
}
