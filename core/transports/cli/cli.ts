// The CLI transport: `slice-studio <command> [--json]`. User errors print one line on stderr and exit 1,
// never a stack trace (SLICE_STUDIO_DEBUG=1 adds the stack for bugs).
import { resolve } from 'node:path';
import { isUserError, userMessage } from '../../base/user-error';
import type { SliceStudioService } from '../../api/service';
import { GLOBAL_FLAGS, parseArgs, stringFlag, UsageError } from './args';
import type { CliContext, CliIo } from './command';
import { findCommand, COMMANDS } from './commands/index';
import { usageText as usageOf } from './commands/help';
import { cliCommand } from './invocation';
import { inFlagWords } from './flag-words';

const stdio: CliIo = {
  out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
  err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
};

export async function runCli(argv: readonly string[], io: CliIo = stdio): Promise<number> {
  let service: SliceStudioService | undefined;
  try {
    // The command is the first word that is neither an option nor the value of a global option before it
    // (`--data-dir D inspect …`: D is the value, inspect the command).
    const first = commandIndex(argv);
    const name = first < 0 ? 'help' : argv[first];
    const command = findCommand(name);
    if (!command) {
      throw new UsageError(`unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    }
    const rest = first < 0 ? [...argv] : [...argv.slice(0, first), ...argv.slice(first + 1)];
    const args = parseArgs(rest, command.flags ?? {});
    const dataDir = stringFlag(args, 'data-dir');
    // paths.dataDir() reads this, so the store, hardware's disk check and outputs all follow the flag.
    if (dataDir) process.env.SLICE_STUDIO_DATA = resolve(dataDir);
    if (args.flags.has('help') && command.name !== 'help') {
      io.out(`usage: ${cliCommand()} ${command.usage}\n${command.summary}`);
      return 0;
    }
    const ctx: CliContext = {
      ...io,
      args,
      json: args.flags.has('json'),
      async service() {
        if (!service) {
          const { SliceStudioService } = await import('../../api/service');
          service = await SliceStudioService.create();
        }
        return service;
      },
    };
    return await command.run(ctx);
  } catch (e) {
    // One line, always: usage errors carry their pointer to help on the same line.
    io.err(`slice-studio: ${inFlagWords(userMessage(e).message)}${e instanceof UsageError ? ` (see "${cliCommand()} help")` : ''}`);
    if (!isUserError(e) && process.env.SLICE_STUDIO_DEBUG && e instanceof Error && e.stack) io.err(e.stack);
    return 1;
  } finally {
    await service?.close();
  }
}

/** Index of the command word in argv, or -1: skips options and the separate value of a global value flag. */
export function commandIndex(argv: readonly string[]): number {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return i + 1 < argv.length ? i + 1 : -1;
    if (!a.startsWith('-')) return i;
    if (a.startsWith('--') && !a.includes('=') && GLOBAL_FLAGS.values.includes(a.slice(2))) i++;
  }
  return -1;
}

export const usageText = (): string => usageOf(COMMANDS);
export { GLOBAL_FLAGS };
